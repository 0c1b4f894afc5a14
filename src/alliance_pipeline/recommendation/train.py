"""Implicit-feedback ALS (Spark MLlib) on (user, item, confidence) with integer ids.

Checkpointing: ALS truncates its lineage every ``checkpoint_interval`` iterations when the
SparkContext has a checkpoint directory (the job sets one under the lake); without one the
parameter is ignored, which is fine for the small test samples.
"""

from __future__ import annotations

from pyspark.ml.recommendation import ALS, ALSModel
from pyspark.sql import DataFrame

from alliance_pipeline.config import RecommendationConfig


def als(params: RecommendationConfig, blocks: int) -> ALS:
    return ALS(
        userCol="user",
        itemCol="item",
        ratingCol="confidence",
        implicitPrefs=True,
        rank=params.rank,
        regParam=params.reg_param,
        alpha=params.alpha,
        maxIter=params.max_iter,
        seed=params.seed,
        checkpointInterval=params.checkpoint_interval,
        numUserBlocks=blocks,
        numItemBlocks=blocks,
        nonnegative=False,
        coldStartStrategy="drop",
    )


def fit(train: DataFrame, params: RecommendationConfig, blocks: int) -> ALSModel:
    """``train``: (user int, item int, confidence float); ``blocks``: see
    :func:`alliance_pipeline.spark_session.als_blocks`."""
    return als(params, blocks).fit(train.select("user", "item", "confidence"))
