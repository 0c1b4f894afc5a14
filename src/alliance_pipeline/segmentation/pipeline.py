"""One night of segmentation as a function of frames: features in, segments out.

``segment_night`` takes the features of the run date and the previous run's segment history
(curated/segment_centroids) and returns everything the segment job writes. No paths, no clock.
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
        choice = kmeans.choose_k(
            vectors,
            params.k_min,
            params.k_max,
            params.seed,
            params.init_steps,
            params.restarts,
            params.max_iter,
        )
        centres = np.array([scaler.unscale_point(list(c)) for c in choice.model.clusterCenters()])
        ids, retired = stability.match_ids(previous, centres, scaler, params.match_max_distance)
        spark = features.sparkSession
        mapping = spark.createDataFrame(
            [(i, s) for i, s in enumerate(ids)], "cluster int, segment_id string"
        )
        person_segment = (
            kmeans.assign(choice.model, vectors)
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
        history = stability.advance_history(previous, current, dt)
        points = None
        if with_pca:
            pts = kmeans.pca_2d(vectors, params.pca_sample, params.seed)
            points = pts.join(person_segment, "person_key").select("segment_id", "x", "y")
            points = points.toPandas()
    finally:
        vectors.unpersist()
    return NightResult(person_segment, profile, history, retired, choice, points)
