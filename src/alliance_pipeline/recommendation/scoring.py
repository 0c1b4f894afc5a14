"""Top-N per person: ALS candidates (blocked ``recommendForUserSubset``, never a cross join of
persons and items) for persons with enough history, their segment's popular items otherwise.

Rules applied to every list by :func:`select_top_n`:
- content the person owns (a paid order) is never recommended;
- an item is cross-brand for a person when the person's home source is neither its owner nor
  one of its co-brand partners;
- persons without marketing consent get no cross-brand items;
- for consenting persons, the best ``ceil(share * n)`` cross-brand candidates by score are
  reserved first, the rest of the list is filled by score; when the candidate pool holds fewer
  cross-brand items, the list holds all of them.
"""

from __future__ import annotations

import math

from pyspark.ml.recommendation import ALSModel
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from alliance_pipeline.recommendation.indexing import ids

OUTPUT_COLUMNS = ("person_key", "rank", "content_id", "score", "item_source", "reason")
ALL_PERSONS = "__all__"


def item_brands(catalog: DataFrame) -> DataFrame:
    """(content_id, item_source, brands): owner plus co-brand partners."""
    partners = F.filter(
        F.split(F.coalesce(F.col("co_brand_partners"), F.lit("")), ";"), lambda p: F.trim(p) != ""
    )
    return catalog.select(
        "content_id",
        F.col("owner_source").alias("item_source"),
        F.array_union(F.array(F.col("owner_source")), F.transform(partners, F.trim)).alias(
            "brands"
        ),
    ).dropDuplicates(["content_id"])


def quota(n: int, share: float) -> int:
    return math.ceil(round(share * n, 9))


def select_top_n(
    candidates: DataFrame,
    persons: DataFrame,
    brands: DataFrame,
    owned: DataFrame,
    n: int,
    share: float,
) -> DataFrame:
    """candidates (person_key, content_id, score) -> (person_key, rank, content_id, score,
    item_source, cross_brand); persons (person_key, home_source, marketing_consent)."""
    by_person = Window.partitionBy("person_key")
    consent = F.coalesce(F.col("marketing_consent"), F.lit(False))
    c = (
        candidates.join(owned, ["person_key", "content_id"], "left_anti")
        .join(persons.select("person_key", "home_source", "marketing_consent"), "person_key")
        .join(brands, "content_id")
        .withColumn(
            "cross_brand",
            F.coalesce(~F.array_contains("brands", F.col("home_source")), F.lit(False)),
        )
        .where(consent | ~F.col("cross_brand"))
        .withColumn(
            "group_rank",
            F.row_number().over(
                Window.partitionBy("person_key", "cross_brand").orderBy(
                    F.col("score").desc(), "content_id"
                )
            ),
        )
        .withColumn(
            "reserved",
            F.col("cross_brand") & consent & (F.col("group_rank") <= F.lit(quota(n, share))),
        )
        .withColumn(
            "rest_rank",
            F.row_number().over(
                Window.partitionBy("person_key", "reserved").orderBy(
                    F.col("score").desc(), "content_id"
                )
            ),
        )
        .withColumn("n_reserved", F.sum(F.col("reserved").cast("int")).over(by_person))
        .where(F.col("reserved") | (F.col("rest_rank") <= F.lit(n) - F.col("n_reserved")))
    )
    return c.select(
        "person_key",
        F.row_number().over(by_person.orderBy(F.col("score").desc(), "content_id")).alias("rank"),
        "content_id",
        F.col("score").cast("double").alias("score"),
        "item_source",
        "cross_brand",
    )


def als_candidates(model: ALSModel, index: DataFrame, persons: DataFrame, pool: int) -> DataFrame:
    """(person_key, content_id, score): the ``pool`` best items of each person in ``persons``."""
    users = persons.join(ids(index, "person", "person_key", "user"), "person_key")
    recs = model.recommendForUserSubset(users.select("user"), pool)
    return (
        recs.select("user", F.explode("recommendations").alias("r"))
        .select("user", F.col("r.item").alias("item"), F.col("r.rating").alias("score"))
        .join(users.select("user", "person_key"), "user")
        .join(ids(index, "content", "content_id", "item"), "item")
        .select("person_key", "content_id", "score")
    )


def segment_popular_candidates(
    persons: DataFrame, segments: DataFrame, interactions: DataFrame, pool: int
) -> DataFrame:
    """(person_key, content_id, score) for ``persons`` from their segment's most popular items
    (score: share of the segment's persons who touched the item); persons without a segment
    get the popular items of everyone."""
    seg = F.coalesce(F.col("segment_id").cast("string"), F.lit(ALL_PERSONS)).alias("segment")
    members = segments.select("person_key", seg)
    touched = interactions.select("person_key", "content_id").distinct()
    by_segment = (
        touched.join(members, "person_key")
        .groupBy("segment", "content_id")
        .agg(F.count("*").alias("persons"))
    )
    overall = touched.groupBy("content_id").agg(F.count("*").alias("persons"))
    sizes = (
        members.groupBy("segment")
        .agg(F.count("*").alias("size"))
        .unionByName(
            touched.select(F.lit(ALL_PERSONS).alias("segment"), "person_key")
            .distinct()
            .groupBy("segment")
            .agg(F.count("*").alias("size"))
        )
    )
    popular = (
        by_segment.unionByName(overall.withColumn("segment", F.lit(ALL_PERSONS)))
        .join(sizes, "segment")
        .withColumn("score", F.col("persons") / F.col("size"))
        .withColumn(
            "p",
            F.row_number().over(
                Window.partitionBy("segment").orderBy(F.col("score").desc(), "content_id")
            ),
        )
        .where(F.col("p") <= pool)
    )
    who = (
        persons.select("person_key").join(segments, "person_key", "left").select("person_key", seg)
    )
    return who.join(popular, "segment").select("person_key", "content_id", "score")


def recommend(
    model: ALSModel | None,
    index: DataFrame,
    persons: DataFrame,
    segments: DataFrame,
    catalog: DataFrame,
    interactions: DataFrame,
    trained: DataFrame,
    owned: DataFrame,
    *,
    n: int,
    share: float,
    pool: int,
    min_history: int,
) -> DataFrame:
    """Every person of ``persons`` gets up to ``n`` items: reason ``als`` when ``model`` was
    fitted on at least ``min_history`` items of the person (``trained``: its person_key,
    content_id pairs), ``segment_popular`` (from ``interactions``, the window) otherwise."""
    history = trained.groupBy("person_key").agg(F.count("*").alias("items"))
    people = persons.select("person_key", "home_source", "marketing_consent")
    warm = (
        history.where(F.col("items") >= min_history)
        .select("person_key")
        .join(people.select("person_key"), "person_key")
    )
    cold = people.select("person_key").join(warm, "person_key", "left_anti")
    brands = item_brands(catalog)
    parts = [("segment_popular", segment_popular_candidates(cold, segments, interactions, pool))]
    if model is not None:  # None: no interaction in the window, so nobody is warm
        parts.insert(0, ("als", als_candidates(model, index, warm, pool)))
    out = None
    for reason, cands in parts:
        top = select_top_n(cands, people, brands, owned, n, share).withColumn(
            "reason", F.lit(reason)
        )
        out = top if out is None else out.unionByName(top)
    return out.select(*OUTPUT_COLUMNS, "cross_brand")
