"""Top-N per person: ALS lists for persons with enough history, their segment's popular items
otherwise, both scored a batch of persons at a time (:mod:`.factor_scoring`: never a row per
person and candidate, never a cross join of persons and items).

Rules applied to every list:
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
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from alliance_pipeline.recommendation.factor_scoring import als_lists, popular_lists

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


def segment_of() -> Column:
    """A person's segment as a string, ``ALL_PERSONS`` without one."""
    return F.coalesce(F.col("segment_id").cast("string"), F.lit(ALL_PERSONS)).alias("segment")


def segment_popular(segments: DataFrame, interactions: DataFrame, pool: int) -> DataFrame:
    """(segment, content_id, score): each segment's ``pool`` most popular items (score: share
    of the segment's persons who touched the item; ties by content_id), and everyone's under
    ``ALL_PERSONS`` (for persons without a segment)."""
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
    return (
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
        .select("segment", "content_id", "score")
    )


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
    warm = history.where(F.col("items") >= min_history).select("person_key")
    brands = item_brands(catalog)
    q = quota(n, share)
    cold = (
        people.join(warm, "person_key", "left_anti")
        .join(segments, "person_key", "left")
        .select(*people.columns, segment_of())
    )
    popular = segment_popular(segments, interactions, pool)
    out = popular_lists(cold, popular, brands, owned, n=n, quota=q).withColumn(
        "reason", F.lit("segment_popular")
    )
    if model is not None:  # None: no interaction in the window, so nobody is warm
        lists = als_lists(
            model, index, people.join(warm, "person_key"), brands, owned, n=n, quota=q, pool=pool
        )
        out = lists.withColumn("reason", F.lit("als")).unionByName(out)
    return out.select(*OUTPUT_COLUMNS, "cross_brand")
