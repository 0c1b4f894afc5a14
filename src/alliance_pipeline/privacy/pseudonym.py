"""Keyed pseudonyms: ``person_key`` = HMAC-SHA256(secret key, identifier), 64 lower-case hex chars.

Identifier rule (one person across sources gets one key), from the user record:
    1. the mobile normalised to E.164 (``+8613812345678``), when it is valid;
    2. otherwise the e-mail trimmed and lowercased, when it is valid;
    3. otherwise ``source_user:{source}:{source_user_id}``: still keyed, so still a pseudonym,
       but it links only that one source user (no cross-source join is possible without a
       shared identifier). Events or orders of a user the source never delivered get this key too.
Resident ids are never key material; they only give the age band. Plain unkeyed hashes are never
used anywhere. A key once given to a ``(source, source_user_id)`` in the identity map stays with
it (a later change of mobile does not split the person's history); only a rotation re-keys, from
the identifier stored with it in the restricted identity zone.

The secret lives in the Airflow connection ``alliance_pseudonym_key`` (password = key, extra
``{"version": "..."}``) or a secrets backend behind it, never in the repository. Spark jobs get it
through the environment variables :data:`KEY_ENV` and :data:`VERSION_ENV`, set by the task.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from alliance_pipeline.settings import PSEUDONYM_KEY_CONN_ID

KEY_ENV = "ALLIANCE_PSEUDONYM_KEY"
VERSION_ENV = "ALLIANCE_PSEUDONYM_KEY_VERSION"
MIN_KEY_BYTES = 16
BLOCK_BYTES = 64  # SHA-256 block size (RFC 2104)
FALLBACK_PREFIX = "source_user"


class PseudonymKeyError(ValueError):
    """The key is missing or unusable. The message never contains the key."""


@dataclass(frozen=True)
class PseudonymKey:
    secret: bytes = field(repr=False)
    version: str

    def __post_init__(self):
        if len(self.secret) < MIN_KEY_BYTES:
            raise PseudonymKeyError(
                f"pseudonym key version {self.version!r} is shorter than {MIN_KEY_BYTES} bytes"
            )
        if not self.version:
            raise PseudonymKeyError("pseudonym key has no version")

    def pads(self) -> tuple[bytes, bytes]:
        """RFC 2104 inner and outer padded keys (what a built-in-only HMAC needs)."""
        k = hashlib.sha256(self.secret).digest() if len(self.secret) > BLOCK_BYTES else self.secret
        k = k.ljust(BLOCK_BYTES, b"\0")
        return bytes(b ^ 0x36 for b in k), bytes(b ^ 0x5C for b in k)


def person_key(key: PseudonymKey, identifier: str) -> str:
    return hmac.new(key.secret, identifier.encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonym_key_from_env(environ: Mapping[str, str] | None = None) -> PseudonymKey:
    env = os.environ if environ is None else environ
    secret, version = env.get(KEY_ENV, ""), env.get(VERSION_ENV, "")
    if not secret or not version:
        raise PseudonymKeyError(f"set {KEY_ENV} and {VERSION_ENV} (the task passes them)")
    return PseudonymKey(secret.encode("utf-8"), version)


def pseudonym_key_from_airflow(conn_id: str = PSEUDONYM_KEY_CONN_ID) -> PseudonymKey:
    """The key of the Airflow connection, read at task time (the password is masked in logs)."""
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(conn_id)
    version = str((conn.extra_dejson or {}).get("version", ""))
    if not conn.password:
        raise PseudonymKeyError(f"connection {conn_id} has no password (the key)")
    return PseudonymKey(conn.password.encode("utf-8"), version)


def key_env(key: PseudonymKey) -> dict[str, str]:
    """Environment for a Spark job that pseudonymises (SparkSubmitHook ``env_vars``)."""
    return {KEY_ENV: key.secret.decode("utf-8"), VERSION_ENV: key.version}
