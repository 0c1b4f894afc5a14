"""Scaling, KMeans (Spark MLlib) with k chosen by silhouette, a warm start from the previous
night's centres, plus PCA for the chart.

Spark's k-means|| with default settings can stop in a worse optimum than scikit-learn's
k-means++ with restarts, so the chosen k is fitted with several seeds and more init steps and
the lowest training cost is kept (the silhouette scan over k uses one seed per k).

Spark ML's KMeans takes no initial centres, so the warm start (:func:`lloyd`) runs Lloyd's
iterations as DataFrame aggregations from given centres; every clustering, fitted or warm, is
a set of centres and a person's cluster is the nearest one (:func:`nearest`).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

import numpy as np
from pyspark.ml.clustering import KMeans, KMeansModel
from pyspark.ml.evaluation import ClusteringEvaluator
from pyspark.ml.feature import PCA, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.segmentation.features import SHARE_COLUMNS

# Counts and amounts are skewed (a few persons buy or watch far more): they enter the model
# log1p-compressed, so that a handful of heavy buyers does not make a segment of its own.
LOG1P_INPUTS = {
    "log_frequency": "frequency",
    "log_monetary": "monetary_cny",
    "log_watch_minutes": "watch_minutes",
    "log_sources_touched": "sources_touched",
}
MODEL_COLUMNS = (
    "recency_days",
    "log_frequency",
    "log_monetary",
    "log_watch_minutes",
    "completion_rate",
    *SHARE_COLUMNS,
    "log_sources_touched",
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
    derived = {c: F.log1p(F.col(raw).cast("double")) for c, raw in LOG1P_INPUTS.items()}
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
class Clustering:
    """Centres in scaled units, the training cost (sum of squared distances to the nearest
    centre) and the silhouette (squared Euclidean; NaN below two clusters)."""

    centres: np.ndarray
    cost: float
    silhouette: float


@dataclass
class KMeansChoice:
    """The night's clustering and how it came about. ``reason``: ``first`` (no previous
    segments), ``kept`` (warm start from the previous centres), ``margin`` (the scan beat the
    kept clustering's silhouette by the margin) or ``cadence`` (k re-chosen on schedule);
    ``chosen_on``: the run date k was last chosen (None: tonight)."""

    k: int
    clustering: Clustering
    reason: str
    silhouettes: dict[int, float] = field(default_factory=dict)
    costs: dict[int, float] = field(default_factory=dict)
    chosen_on: datetime.date | None = None


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


def _distances(centres: np.ndarray) -> list[Column]:
    """Squared Euclidean distance from ``features`` to each centre, as SQL expressions."""
    x = vector_to_array(F.col("features"))
    return [
        sum(((x[i] - F.lit(float(v))) ** 2 for i, v in enumerate(c)), F.lit(0.0)) for c in centres
    ]


def nearest(centres: np.ndarray) -> Column:
    """The index of the centre nearest to ``features`` (the first one on a tie)."""
    dist = F.array(*_distances(centres))
    return (F.array_position(dist, F.array_min(dist)) - 1).cast("int")


def training_cost(vectors: DataFrame, centres: np.ndarray) -> float:
    """Sum of squared distances to the nearest centre (MLlib's trainingCost)."""
    return float(vectors.agg(F.sum(F.array_min(F.array(*_distances(centres))))).first()[0])


def silhouette(vectors: DataFrame, centres: np.ndarray) -> float:
    """Silhouette (squared Euclidean, as the k scan); NaN below two centres."""
    if len(centres) < 2:
        return math.nan
    evaluator = ClusteringEvaluator(
        featuresCol="features", predictionCol="cluster", distanceMeasure="squaredEuclidean"
    )
    return evaluator.evaluate(vectors.withColumn("cluster", nearest(centres)))


def lloyd(vectors: DataFrame, centres: np.ndarray, max_iter: int, tol: float = 1e-6) -> Clustering:
    """KMeans from the given (scaled) centres: Lloyd's iterations, one aggregation each, until
    no centre moves more than ``tol``. A centre left without persons is dropped (its segment
    is gone), so the result may have fewer centres than it started with."""
    x = vector_to_array(F.col("features"))
    c = np.array(centres, dtype=float)
    d = c.shape[1]
    for _ in range(max_iter):
        rows = (
            vectors.select(nearest(c).alias("cluster"), x.alias("x"))
            .groupBy("cluster")
            .agg(*[F.avg(F.col("x")[i]).alias(f"m{i}") for i in range(d)])
            .collect()
        )
        occupied = sorted(r["cluster"] for r in rows)
        moved = c.copy()
        for r in rows:
            moved[r["cluster"]] = [r[f"m{i}"] for i in range(d)]
        shift = float(np.max(np.linalg.norm(moved - c, axis=1)))
        c = moved[occupied]
        if shift <= tol:
            break
    return Clustering(c, training_cost(vectors, c), silhouette(vectors, c))


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
    model, best_cost = fit_kmeans(vectors, k, seed, init_steps, restarts, max_iter, models[k])
    costs[k] = best_cost
    centres = np.array(model.clusterCenters())
    sil = silhouettes[k] if model is models[k] else silhouette(vectors, centres)
    clustering = Clustering(centres, best_cost, sil)
    return KMeansChoice(k, clustering, "first", silhouettes, costs)


def assign(centres: np.ndarray, vectors: DataFrame) -> DataFrame:
    """person_key, cluster (the index of the nearest centre)."""
    return vectors.select("person_key", nearest(centres).alias("cluster"))


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
