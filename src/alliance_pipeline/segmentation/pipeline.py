"""One night of segmentation as a function of frames: features in, segments out.

``segment_night`` takes the features of the run date and the previous run's segment history
(curated/segment_centroids) and returns everything the segment job writes. No paths, no clock.

How tonight's clustering is chosen (:func:`choose`): the previous night's centres are the
start of tonight's KMeans (warm start), so k and the centres carry over; the stability scan
over [k_min, k_max] (:func:`kmeans.choose_k`: the most reproducible k) still runs and replaces
them only when its clustering's silhouette beats the kept one's by more than
``rechoose_k_margin`` (the data moved), or when k was last chosen ``rechoose_k_every_days`` ago
or more. The first night, or a history of other model columns,
takes the scan's choice.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.config import SegmentationConfig
from alliance_pipeline.segmentation import kmeans, profiles, stability


@dataclass
class NightResult:
    person_segment: DataFrame  # person_key, segment_id, run_date
    profile: pd.DataFrame  # one row per active segment: profiles.PROFILE_COLUMNS + label ...
    history: pd.DataFrame  # the new segment_centroids partition
    retired: list[str]
    choice: kmeans.KMeansChoice
    points: pd.DataFrame | None  # segment_id, x, y for the chart


def choose(
    vectors: DataFrame,
    previous: pd.DataFrame | None,
    scaler: kmeans.Scaler,
    dt: datetime.date,
    params: SegmentationConfig,
) -> kmeans.KMeansChoice:
    scan = kmeans.choose_k(vectors, params)
    start = stability.warm_start(previous, scaler)
    if start is None:
        return scan
    kept = kmeans.lloyd(vectors, start, params.max_iter)
    k = len(kept.centres)
    chosen_on = stability.k_chosen_on(previous)
    gain = scan.clustering.silhouette - kept.silhouette
    if chosen_on is None or (dt - chosen_on).days >= params.rechoose_k_every_days:
        reason = "cadence"
    elif gain > params.rechoose_k_margin or np.isnan(kept.silhouette):
        reason = "margin"
    else:
        reason = "kept"
    if reason == "kept":
        return kmeans.KMeansChoice(k, kept, reason, scan.stabilities, chosen_on)
    if reason == "cadence" and scan.k == k:  # k re-chosen and unchanged: the centres stay
        return kmeans.KMeansChoice(k, kept, reason, scan.stabilities, dt)
    return kmeans.KMeansChoice(scan.k, scan.clustering, reason, scan.stabilities, dt)


def segment_night(
    features: DataFrame,
    previous: pd.DataFrame | None,
    dt: datetime.date,
    params: SegmentationConfig,
    with_pca: bool = True,
) -> NightResult:
    model_df = kmeans.model_input(features)
    scaler = kmeans.fit_scaler(model_df)
    vectors = kmeans.scale(model_df, scaler).cache()
    try:
        choice = choose(vectors, previous, scaler, dt, params)
        scaled = choice.clustering.centres
        centres = np.array([scaler.unscale_point(list(c)) for c in scaled])
        ids, retired = stability.match_ids(previous, centres, scaler, params.match_max_distance)
        spark = features.sparkSession
        mapping = spark.createDataFrame(
            [(i, s) for i, s in enumerate(ids)], "cluster int, segment_id string"
        )
        person_segment = (
            kmeans.assign(scaled, vectors)
            .join(F.broadcast(mapping), "cluster")
            .select("person_key", "segment_id", F.lit(dt).alias("run_date"))
            .cache()
        )
        stats = profiles.segment_stats(features, person_segment).toPandas()
        profile = profiles.profiles(stats, params.lookback_days)
        centroid_cols = stability.centroid_columns(scaler.columns)
        centroid_frame = pd.DataFrame(centres, columns=centroid_cols)
        centroid_frame["segment_id"] = ids
        current = profile[["segment_id", "persons", "label", "profile_json"]].merge(
            centroid_frame, on="segment_id"
        )
        history = stability.advance_history(previous, current, dt, choice.chosen_on or dt)
        points = None
        if with_pca:
            pts = kmeans.pca_2d(vectors, params.pca_sample, params.seed)
            points = pts.join(person_segment, "person_key").select("segment_id", "x", "y")
            points = points.toPandas()
    finally:
        vectors.unpersist()
    return NightResult(person_segment, profile, history, retired, choice, points)
