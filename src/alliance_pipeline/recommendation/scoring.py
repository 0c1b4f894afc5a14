"""Top-N per person: ALS lists for persons with enough history, their segment's popular items
otherwise, both scored a batch of persons at a time (:mod:`.factor_scoring`: never a row per
person and candidate, never a cross join of persons and items).

Rules applied to every list:
- nothing the exclusion rule excludes (:func:`.interactions.excluded`: what the person owns or
  engaged with in the window) is recommended; the list is the best ``n`` of everything else in
  tonight's catalog (no candidate pool cut before the exclusions), so it holds ``n`` items
  whenever ``n`` such items exist;
- an item is cross-brand for a person when the person's home source is neither its owner nor
  one of its co-brand partners;
- persons without marketing consent get no cross-brand items;
- for consenting persons, the best ``ceil(share * n)`` cross-brand candidates by score among
  the person's ``pool`` best candidates are reserved first, the rest of the list is filled by
  score; when those hold fewer cross-brand items, the list holds all of them.
"""

from __future__ import annotations

import math

from pyspark.ml.recommendation import ALSModel
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.recommendation.factor_scoring import ALL_PERSONS, als_lists, popular_lists

OUTPUT_COLUMNS = ("person_key", "rank", "content_id", "score", "item_source", "reason")


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


def segment_of() -> Column:
    """A person's segment as a string, ``ALL_PERSONS`` without one."""
    return F.coalesce(F.col("segment_id").cast("string"), F.lit(ALL_PERSONS)).alias("segment")


def segment_popular(segments: DataFrame, interactions: DataFrame) -> DataFrame:
    """(segment, content_id, score): for each segment, every item anyone touched: score the
    share of the segment's persons who touched it, or, for an item nobody of the segment
    touched, everyone's share / (segment size + 1), below any touched item's (at least
    1 / size) and in everyone's order; everyone's under ``ALL_PERSONS`` (for persons without
    a segment). Ties go to the lower content_id (:mod:`.topn`)."""
    members = segments.select("person_key", segment_of())
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
    everyone = overall.join(sizes.where(F.col("segment") == ALL_PERSONS), how="cross").select(
        "content_id", (F.col("persons") / F.col("size")).alias("share")
    )
    shares = by_segment.unionByName(overall.withColumn("segment", F.lit(ALL_PERSONS)))
    return (
        sizes.join(F.broadcast(everyone), how="cross")  # segments x items: both catalog-sized
        .join(shares, ["segment", "content_id"], "left")
        .select(
            "segment",
            "content_id",
            F.when(F.col("persons").isNotNull(), F.col("persons") / F.col("size"))
            .otherwise(F.col("share") / (F.col("size") + 1))
            .alias("score"),
        )
    )


def recommend(
    model: ALSModel | None,
    index: DataFrame,
    persons: DataFrame,
    segments: DataFrame,
    catalog: DataFrame,
    popular: DataFrame,
    trained: DataFrame,
    excluded: DataFrame,
    *,
    n: int,
    share: float,
    pool: int,
    min_history: int,
) -> DataFrame:
    """Every person of ``persons`` gets up to ``n`` items: reason ``als`` when ``model`` was
    fitted on at least ``min_history`` items of the person (``trained``: its person_key,
    content_id pairs), ``segment_popular`` otherwise (``popular``: :func:`segment_popular` of
    the window);
    ``excluded`` (person_key, content_id): :func:`.interactions.excluded`."""
    history = trained.groupBy("person_key").agg(F.count("*").alias("items"))
    people = persons.select("person_key", "home_source", "marketing_consent")
    warm = history.where(F.col("items") >= min_history).select("person_key")
    brands = item_brands(catalog)
    q = quota(n, share)
    cold = (
        people.join(warm, "person_key", "left_anti")
        .join(segments, "person_key", "left")
        .select(*people.columns, segment_of())
    )
    out = popular_lists(cold, popular, brands, excluded, n=n, quota=q, pool=pool).withColumn(
        "reason", F.lit("segment_popular")
    )
    if model is not None:  # None: no interaction in the window, so nobody is warm
        lists = als_lists(
            model, index, people.join(warm, "person_key"), brands, excluded, n=n, quota=q, pool=pool
        )
        out = lists.withColumn("reason", F.lit("als")).unionByName(out)
    return out.select(*OUTPUT_COLUMNS, "cross_brand")
