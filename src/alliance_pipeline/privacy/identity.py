"""The identity map and the person dimension (pure Spark transforms).

Identity map (restricted zone ``identity/person_map/dt={dt}/``): one row per
``(source, source_user_id)`` ever seen, cumulative across nights, a full snapshot per night:
    source, source_user_id, id_kind (mobile | email | source_user), identifier (the normalised
    key material, kept so that a rotation can re-key), person_key, key_version, first_seen_dt,
    and the latest de-identifiable profile of the source user: registered_at, updated_at,
    membership_tier, marketing_consent, gender, birth_date (for the age band at any later date),
    province, city_tier, full_name (what free text is searched for: :func:`name_keys`).
A user's person_key is sticky: computed the night the user is first seen (a user record, or
events/orders of a user the source has not delivered) and kept afterwards, with one exception:
a user first seen through activity only (key of ``source_user:...``) moves to the key of its
mobile or e-mail the night its user record arrives. Clean partitions written before that night
keep the fallback key for that user (rerun those nights to re-join them). Profile fields follow
the latest ``updated_at`` of the source's user record.

Person dimension (``curated/persons/dt={dt}/``), one row per person_key: see :func:`persons`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from alliance_pipeline.contracts import IDENTITY_COLUMNS, MEMBERSHIP_TIERS
from alliance_pipeline.privacy import deid
from alliance_pipeline.privacy.normalise import UNKNOWN
from alliance_pipeline.privacy.pseudonym import FALLBACK_PREFIX, PseudonymKey

IDENTITY_FIELDS = ("id_kind", "identifier", "person_key", "key_version", "first_seen_dt")
PROFILE_TYPES = {
    "registered_at": "timestamp",
    "updated_at": "timestamp",
    "membership_tier": "string",
    "marketing_consent": "boolean",
    "gender": "string",
    "birth_date": "date",
    "province": "string",
    "city_tier": "string",
    "full_name": "string",
}
PROFILE_FIELDS = tuple(PROFILE_TYPES)
MAP_SCHEMA = ", ".join(
    [
        "source string, source_user_id string, id_kind string, identifier string",
        "person_key string, key_version string, first_seen_dt date",
        *[f"{c} {t}" for c, t in PROFILE_TYPES.items()],
    ]
)
MAP_COLUMNS = ("source", "source_user_id", *IDENTITY_FIELDS, *PROFILE_FIELDS)
ACTIVITY_DATASETS = ("events", "orders", "experiment_exposures")


class KeyVersionMismatch(RuntimeError):
    pass


def assert_key_version(identity_map: DataFrame, key: PseudonymKey) -> None:
    """Refuse to extend a map keyed with another key version (run the rotation first)."""
    other = identity_map.where(F.col("key_version") != key.version).select("key_version").limit(1)
    found = other.collect()
    if found:
        raise KeyVersionMismatch(
            f"identity map holds key version {found[0][0]!r}, the task's key is "
            f"{key.version!r}: run the key rotation before de-identifying"
        )


def latest_users(users: DataFrame) -> DataFrame:
    """Tonight's user records, one per (source, source_user_id), as map profile rows."""
    w = Window.partitionBy("source", "source_user_id").orderBy(F.col("updated_at").desc())
    one = users.withColumn("_n", F.row_number().over(w)).where("_n = 1")
    birth = F.coalesce(F.col("birth_date"), deid.birth_date_from_resident_id(F.col("id_card_no")))
    ids = [F.col(c) for c in IDENTITY_COLUMNS]
    return one.select(
        "source",
        "source_user_id",
        deid.identifier_kind(*ids).alias("id_kind"),
        deid.identifier(*ids, F.col("source"), F.col("source_user_id")).alias("identifier"),
        "registered_at",
        "updated_at",
        "membership_tier",
        "marketing_consent",
        "gender",
        birth.alias("birth_date"),
        deid.province(F.col("city")).alias("province"),
        deid.city_tier(F.col("city")).alias("city_tier"),
        "full_name",
    )


def name_keys(identity_map: DataFrame) -> DataFrame:
    """The names (``key``) of every person the users deliveries have described so far."""
    return identity_map.select(
        F.explode(deid.name_keys(F.col("full_name"))).alias("key")
    ).distinct()


def _with_profile_fields(identity_map: DataFrame) -> DataFrame:
    """A map written before a profile field existed, with that field empty."""
    for f, t in PROFILE_TYPES.items():
        if f not in identity_map.columns:
            identity_map = identity_map.withColumn(f, F.lit(None).cast(t))
    return identity_map


def _activity_users(activity: list[DataFrame]) -> DataFrame | None:
    ids = [df.select("source", "source_user_id") for df in activity]
    if not ids:
        return None
    out = ids[0]
    for other in ids[1:]:
        out = out.unionByName(other)
    return out.distinct()


def update_identity_map(
    previous: DataFrame | None,
    users: DataFrame | None,
    activity: list[DataFrame],
    key: PseudonymKey,
    as_of: datetime.date,
) -> DataFrame:
    """The cumulative map after tonight: ``previous`` + tonight's users and active user ids."""
    previous = None if previous is None else _with_profile_fields(previous)
    parts = []
    if users is not None:
        parts.append(latest_users(users))
    active = _activity_users(activity)
    if active is not None:
        if parts:
            active = active.join(parts[0], ["source", "source_user_id"], "left_anti")
        fallback = F.concat_ws(":", F.lit(FALLBACK_PREFIX), "source", "source_user_id")
        parts.append(
            active.select(
                "source",
                "source_user_id",
                F.lit(FALLBACK_PREFIX).alias("id_kind"),
                fallback.alias("identifier"),
                *[F.lit(None).cast(t).alias(f) for f, t in PROFILE_TYPES.items()],
            )
        )
    if not parts:
        if previous is None:
            raise ValueError(f"dt={as_of}: no users, events or orders and no previous map")
        return previous.select(*MAP_COLUMNS)
    tonight = parts[0] if len(parts) == 1 else parts[0].unionByName(parts[1])
    if previous is None:
        previous = tonight.sparkSession.createDataFrame([], MAP_SCHEMA)
    p, t = previous.alias("p"), tonight.alias("t")
    joined = p.join(t, ["source", "source_user_id"], "full_outer")
    # A user first seen through events or orders only (a fallback key) takes the key of its
    # mobile or e-mail once the source delivers the user record: otherwise it could never link.
    upgraded = (F.col("p.id_kind") == FALLBACK_PREFIX) & F.col("t.id_kind").isin("mobile", "email")
    known = F.col("p.person_key").isNotNull() & ~F.coalesce(upgraded, F.lit(False))
    tonight_newer = F.col("t.updated_at").isNotNull() & (
        F.col("p.updated_at").isNull() | (F.col("t.updated_at") >= F.col("p.updated_at"))
    )
    identity = {
        "id_kind": F.col("t.id_kind"),
        "identifier": F.col("t.identifier"),
        "person_key": deid.hmac_sha256_hex(F.col("t.identifier"), key),
        "key_version": F.lit(key.version),
        "first_seen_dt": F.coalesce(F.col("p.first_seen_dt"), F.lit(as_of)),
    }
    return joined.select(
        "source",
        "source_user_id",
        *[F.when(known, F.col(f"p.{f}")).otherwise(v).alias(f) for f, v in identity.items()],
        *[
            F.when(tonight_newer, F.col(f"t.{f}")).otherwise(F.col(f"p.{f}")).alias(f)
            for f in PROFILE_FIELDS
        ],
    )


def person_keys(identity_map: DataFrame) -> DataFrame:
    return identity_map.select("source", "source_user_id", "person_key", "key_version")


def _latest(col: str, valid) -> F.Column:
    """The value of ``col`` on the latest user record where ``valid`` holds (ties: by source)."""
    order = F.struct(F.col("updated_at"), F.col("source"))
    return F.max_by(F.col(col), F.when(valid & F.col("updated_at").isNotNull(), order))


def persons(identity_map: DataFrame, as_of: datetime.date) -> DataFrame:
    """The person dimension at ``as_of``, one row per person_key.

    sources          ';'-joined sorted source ids the person is known to
    home_source      source of the earliest registered_at (ties and unknown: lowest source id)
    first_seen       earliest registration date (Asia/Shanghai), else the night first seen
    marketing_consent  true only when every source's latest user record of the person consents:
                     a person who declined at any source is never used for cross-brand
                     recommendations or audiences; false when no user record exists
    membership_tier  the highest tier held at any source
    age_band         at ``as_of``, from the latest known birth date
    gender, province, city_tier  from the latest record that states them, else U / unknown
    """
    far_future = F.lit(datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC))
    tiers = F.array(*[F.lit(t) for t in MEMBERSHIP_TIERS])
    agg = identity_map.groupBy("person_key").agg(
        F.max("key_version").alias("key_version"),
        F.array_join(F.array_sort(F.collect_set("source")), ";").alias("sources"),
        F.min_by(
            "source", F.struct(F.coalesce("registered_at", far_future), F.col("source"))
        ).alias("home_source"),
        F.min(F.coalesce(deid.local_date(F.col("registered_at")), F.col("first_seen_dt"))).alias(
            "first_seen"
        ),
        F.min(  # false < true: one "no" wins
            F.when(F.col("updated_at").isNotNull(), F.coalesce("marketing_consent", F.lit(False)))
        ).alias("marketing_consent"),
        F.max(F.array_position(tiers, F.col("membership_tier"))).alias("_tier"),
        _latest("birth_date", F.col("birth_date").isNotNull()).alias("_birth"),
        _latest("gender", F.col("gender").isin("F", "M")).alias("gender"),
        _latest("province", F.col("province") != UNKNOWN).alias("province"),
        _latest("city_tier", F.col("city_tier") != UNKNOWN).alias("city_tier"),
    )
    return agg.select(
        "person_key",
        "key_version",
        "sources",
        "home_source",
        "first_seen",
        F.coalesce("marketing_consent", F.lit(False)).alias("marketing_consent"),
        F.when(F.col("_tier") > 0, F.element_at(tiers, F.col("_tier").cast("int"))).alias(
            "membership_tier"
        ),
        deid.age_band(F.col("_birth"), F.lit(as_of)).alias("age_band"),
        F.coalesce("gender", F.lit("U")).alias("gender"),
        F.coalesce("province", F.lit(UNKNOWN)).alias("province"),
        F.coalesce("city_tier", F.lit(UNKNOWN)).alias("city_tier"),
    )


@dataclass
class Night:
    """What de-identifying one night produces."""

    clean: dict[str, DataFrame]
    identity_map: DataFrame
    persons: DataFrame


def deidentify_night(
    validated: dict[str, DataFrame],
    previous_map: DataFrame | None,
    key: PseudonymKey,
    as_of: datetime.date,
    materialise: Callable[[DataFrame], DataFrame] = lambda df: df,
) -> Night:
    """Validated frames by dataset (with ``source`` and ``dt`` columns) -> clean, map, persons.

    ``materialise`` receives the new identity map and returns the frame the clean zone and the
    person dimension are computed from (a job writes the map and reads it back, so that the
    pseudonyms are computed once).
    """
    if previous_map is not None:
        assert_key_version(previous_map, key)
    activity = [validated[d] for d in ACTIVITY_DATASETS if d in validated]
    new_map = update_identity_map(previous_map, validated.get("users"), activity, key, as_of)
    new_map = materialise(new_map)
    keys = person_keys(new_map)
    names = name_keys(new_map)
    clean = {
        name: deid.clean_dataset(df, name, keys, as_of, names) for name, df in validated.items()
    }
    return Night(clean=clean, identity_map=new_map, persons=persons(new_map, as_of))
