"""Scaling and KMeans with k chosen by silhouette (Spark MLlib), plus PCA for the chart.

Spark's k-means|| with default settings can stop in a worse optimum than scikit-learn's
k-means++ with restarts, so the chosen k is fitted with several seeds and more init steps and
the lowest training cost is kept (the silhouette scan over k uses one seed per k).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pyspark.ml.clustering import KMeans, KMeansModel
from pyspark.ml.evaluation import ClusteringEvaluator
from pyspark.ml.feature import PCA, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.segmentation.features import SHARE_COLUMNS

# Model inputs derived from the features table; money and minutes are log-compressed.
MODEL_COLUMNS = (
    "recency_days",
    "frequency",
    "log_monetary",
    "log_watch_minutes",
    "completion_rate",
    *SHARE_COLUMNS,
    "sources_touched",
    "tier_rank",
)


# k-means|| samples each partition with a seed of its own and the first centre by position, so
# the clusters depend on how the rows are partitioned and ordered. The features arrive in the
# order of their writer's last shuffle, which differs between runs and between local mode and a
# cluster: the model input is hash-partitioned by person_key into a number of partitions set by
# the row count alone and sorted within each, so the same features give the same segments
# anywhere. A small night is one task per KMeans pass.
ROWS_PER_PARTITION = 100_000


def model_input(features: DataFrame) -> DataFrame:
    """person_key + MODEL_COLUMNS as doubles, in a canonical partitioning and order."""
    derived = {
        "log_monetary": F.log1p(F.col("monetary_cny").cast("double")),
        "log_watch_minutes": F.log1p(F.col("watch_minutes")),
    }
    rows = features.select(
        "person_key",
        *[derived.get(c, F.col(c)).cast("double").alias(c) for c in MODEL_COLUMNS],
    )
    partitions = max(1, math.ceil(rows.count() / ROWS_PER_PARTITION))
    return rows.repartition(partitions, "person_key").sortWithinPartitions("person_key")


@dataclass(frozen=True)
class Scaler:
    """Standardisation of MODEL_COLUMNS: (x - mean) / std, std 0 treated as 1."""

    columns: tuple[str, ...]
    means: tuple[float, ...]
    stds: tuple[float, ...]

    def scale_point(self, raw: list[float]) -> list[float]:
        return [(x - m) / s for x, m, s in zip(raw, self.means, self.stds, strict=True)]

    def unscale_point(self, scaled: list[float]) -> list[float]:
        return [x * s + m for x, m, s in zip(scaled, self.means, self.stds, strict=True)]


def fit_scaler(model_df: DataFrame, columns: tuple[str, ...] = MODEL_COLUMNS) -> Scaler:
    aggs = [F.mean(c).alias(f"m_{c}") for c in columns]
    aggs += [F.stddev_pop(c).alias(f"s_{c}") for c in columns]
    row = model_df.agg(*aggs).first()
    means = tuple(float(row[f"m_{c}"] or 0.0) for c in columns)
    stds = tuple(
        float(row[f"s_{c}"]) if row[f"s_{c}"] and row[f"s_{c}"] > 1e-12 else 1.0 for c in columns
    )
    return Scaler(tuple(columns), means, stds)


def scale(model_df: DataFrame, scaler: Scaler) -> DataFrame:
    """person_key + ``features`` (the scaled vector)."""
    scaled = model_df.select(
        "person_key",
        *[
            ((F.col(c) - F.lit(m)) / F.lit(s)).alias(c)
            for c, m, s in zip(scaler.columns, scaler.means, scaler.stds, strict=True)
        ],
    )
    assembler = VectorAssembler(inputCols=list(scaler.columns), outputCol="features")
    return assembler.transform(scaled).select("person_key", "features")


@dataclass
class KMeansChoice:
    k: int
    model: KMeansModel
    cost: float
    silhouettes: dict[int, float] = field(default_factory=dict)
    costs: dict[int, float] = field(default_factory=dict)


def _fit(vectors: DataFrame, k: int, seed: int, init_steps: int, max_iter: int) -> KMeansModel:
    return KMeans(
        k=k,
        seed=seed,
        initMode="k-means||",
        initSteps=init_steps,
        maxIter=max_iter,
        tol=1e-6,
        featuresCol="features",
        predictionCol="cluster",
    ).fit(vectors)


def fit_kmeans(
    vectors: DataFrame,
    k: int,
    seed: int,
    init_steps: int,
    restarts: int,
    max_iter: int,
    first: KMeansModel | None = None,
) -> tuple[KMeansModel, float]:
    """The lowest-cost model over ``restarts`` seeds (seed, seed+1, ...); ``first``: the model
    of ``seed`` when already fitted."""
    best: tuple[KMeansModel, float] | None = None
    for i in range(restarts):
        model = (
            first
            if i == 0 and first is not None
            else _fit(vectors, k, seed + i, init_steps, max_iter)
        )
        cost = model.summary.trainingCost
        if best is None or cost < best[1]:
            best = (model, cost)
    assert best is not None
    return best


def choose_k(
    vectors: DataFrame,
    k_min: int,
    k_max: int,
    seed: int,
    init_steps: int,
    restarts: int,
    max_iter: int,
) -> KMeansChoice:
    """Fit every k in [k_min, k_max] once (``seed``) and keep the k with the highest silhouette;
    only that k is refitted with the other ``restarts - 1`` seeds, lowest cost kept."""
    evaluator = ClusteringEvaluator(
        featuresCol="features", predictionCol="cluster", distanceMeasure="squaredEuclidean"
    )
    models: dict[int, KMeansModel] = {}
    silhouettes: dict[int, float] = {}
    costs: dict[int, float] = {}
    for k in range(k_min, k_max + 1):
        models[k] = _fit(vectors, k, seed, init_steps, max_iter)
        silhouettes[k] = evaluator.evaluate(models[k].transform(vectors))
        costs[k] = models[k].summary.trainingCost
    scored = [k for k in models if not math.isnan(silhouettes[k])] or [k_min]
    k = max(scored, key=lambda c: (silhouettes[c], -c))
    model, cost = fit_kmeans(vectors, k, seed, init_steps, restarts, max_iter, first=models[k])
    costs[k] = cost
    return KMeansChoice(k, model, cost, silhouettes, costs)


def assign(model: KMeansModel, vectors: DataFrame) -> DataFrame:
    """person_key, cluster (the model's centre index)."""
    return model.transform(vectors).select("person_key", "cluster")


def pca_2d(vectors: DataFrame, sample_size: int, seed: int) -> DataFrame:
    """person_key, x, y: a 2-D PCA projection of at most ~``sample_size`` scaled points."""
    total = vectors.count()
    sample = vectors if total <= sample_size else vectors.sample(sample_size / total, seed=seed)
    pca = PCA(k=2, inputCol="features", outputCol="pc").fit(sample)
    projected = pca.transform(sample).select("person_key", "pc")
    return projected.select(
        "person_key",
        vector_to_array("pc")[0].alias("x"),
        vector_to_array("pc")[1].alias("y"),
    )
