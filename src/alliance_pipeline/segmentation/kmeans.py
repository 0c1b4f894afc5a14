"""Scaling, KMeans with k chosen by stability, a warm start from the previous night's centres,
plus PCA for the chart.

k is chosen on a seeded sample of at most ``scan_sample`` persons collected to the driver (a
bounded matrix, whatever the night's size): for each k, the sample is split in random halves
``stability_splits`` times, each half clustered (k-means++, ``restarts`` seeds) and the two
clusterings of the whole sample compared by the adjusted Rand index. The chosen k is the most
reproducible one (Lange et al., 2004): a k that splits a real group, or merges two, gives
clusterings that differ from half to half. Silhouette was tried first and is flat between 3
and 6 on the generator's planted groups, so it chose 3 and merged two of them.

The chosen k's centres (k-means++ on the sample, lowest cost of ``restarts`` seeds) start
Lloyd's iterations over every person in Spark (:func:`lloyd`, DataFrame aggregations), the
same function that warm-starts from the previous night's centres: every clustering is a set of
centres and a person's cluster is the nearest one (:func:`nearest`).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

import numpy as np
from pyspark.ml.evaluation import ClusteringEvaluator
from pyspark.ml.feature import PCA, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score
from threadpoolctl import threadpool_limits

from alliance_pipeline.config import SegmentationConfig
from alliance_pipeline.segmentation.features import SHARE_COLUMNS

# Counts and amounts are skewed (a few persons buy or watch far more): they enter the model
# log1p-compressed, so that a handful of heavy buyers does not make a segment of its own.
LOG1P_INPUTS = {
    "log_frequency": "frequency",
    "log_monetary": "monetary_cny",
    "log_watch_minutes": "watch_minutes",
    "log_play_seconds": "play_seconds",
}
# Behaviour only. recency_days (the lookback for every person without a paid order, most of
# them) and sources_touched (the brands a person is registered with) stay in the profiles but
# out of the distance: each split the planted groups by a trait they share.
MODEL_COLUMNS = (
    "log_frequency",
    "log_monetary",
    "log_watch_minutes",
    "log_play_seconds",
    "completion_rate",
    *SHARE_COLUMNS,
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
    segments), ``kept`` (warm start from the previous centres), ``margin`` (the scan's
    silhouette beat the kept clustering's by the margin) or ``cadence`` (k re-chosen on
    schedule); ``chosen_on``: the run date k was last chosen (None: tonight);
    ``stabilities``: the scan's mean split-half adjusted Rand index per k."""

    k: int
    clustering: Clustering
    reason: str
    stabilities: dict[int, float] = field(default_factory=dict)
    chosen_on: datetime.date | None = None


def scan_sample(vectors: DataFrame, max_rows: int, seed: int) -> np.ndarray:
    """The scaled vectors of at most ~``max_rows`` persons (a seeded sample), by person_key."""
    total = vectors.count()
    rows = vectors if total <= max_rows else vectors.sample(max_rows / total, seed=seed)
    collected = sorted(rows.select("person_key", "features").collect())
    return np.array([r["features"].toArray() for r in collected])


def _kmeans(points: np.ndarray, k: int, seed: int, restarts: int, max_iter: int) -> KMeans:
    return KMeans(k, n_init=restarts, random_state=seed, max_iter=max_iter).fit(points)


def split_half_stability(
    points: np.ndarray, k: int, seed: int, splits: int, restarts: int
) -> float:
    """Mean adjusted Rand index between the clusterings of ``points`` by KMeans fitted on the
    two halves of ``splits`` seeded random splits (1: the same clustering every time)."""
    rng = np.random.default_rng(seed)
    scores = []
    for i in range(splits):
        order = rng.permutation(len(points))
        a, b = order[: len(points) // 2], order[len(points) // 2 :]
        ka = _kmeans(points[a], k, seed + i, restarts, 300)
        kb = _kmeans(points[b], k, seed + i, restarts, 300)
        scores.append(adjusted_rand_score(ka.predict(points), kb.predict(points)))
    return float(np.mean(scores))


def fit(vectors: DataFrame, points: np.ndarray, k: int, params: SegmentationConfig) -> Clustering:
    """k centres: k-means++ on the sample ``points`` (lowest cost of ``params.restarts``
    seeds), then Lloyd's iterations over every person."""
    start = _kmeans(points, k, params.seed, params.restarts, params.max_iter).cluster_centers_
    return lloyd(vectors, start, params.max_iter)


def choose_k(vectors: DataFrame, params: SegmentationConfig) -> KMeansChoice:
    """The most reproducible k in [k_min, k_max] (stabilities equal to two places are a tie,
    won by the larger k) and its clustering.

    The scan's scikit-learn fits run on one thread. Its KMeans spreads a fit over an OpenMP
    thread per core, and those threads spin at every barrier: beside Spark's JVM and the other
    work of a night on a 2-core machine, the 3,000-person demo's scan took 42 s on 2 threads at
    load 5 and 130-350 s at load 10-14, and 5 s on 1 thread at either
    (bench/results/spark_night.md). One thread also gives the same floats on any machine (a
    fit's partial sums no longer depend on the number of cores)."""
    points = scan_sample(vectors, params.scan_sample, params.seed)
    ks = range(params.k_min, min(params.k_max, len(points) // 2) + 1)
    with threadpool_limits(limits=1):
        stabilities = {
            k: split_half_stability(
                points, k, params.seed, params.stability_splits, params.restarts
            )
            for k in ks
        } or {params.k_min: 1.0}
        k = max(stabilities, key=lambda c: (round(stabilities[c], 2), c))
        return KMeansChoice(k, fit(vectors, points, k, params), "first", stabilities)


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
