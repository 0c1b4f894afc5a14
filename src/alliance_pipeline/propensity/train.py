"""The candidate models: one Spark ML pipeline per candidate scoring both targets at once.

Categorical features are indexed and one-hot encoded (a value unseen in training gets its own
slot), numeric ones enter as they are (logistic regression standardises internally); a
classifier per target (click, order) writes ``p_click`` / ``p_order``.
"""

from __future__ import annotations

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.classification import GBTClassifier, LogisticRegression
from pyspark.ml.feature import OneHotEncoder, StringIndexer, VectorAssembler
from pyspark.ml.functions import vector_to_array
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from alliance_pipeline.config import PropensityConfig
from alliance_pipeline.propensity.features import CATEGORICAL, NUMERIC

TARGETS = ("click", "order")


def _prep() -> Pipeline:
    indexed = [f"{c}_ix" for c in CATEGORICAL]
    onehot = [f"{c}_oh" for c in CATEGORICAL]
    return Pipeline(
        stages=[
            StringIndexer(inputCols=list(CATEGORICAL), outputCols=indexed, handleInvalid="keep",
                          stringOrderType="alphabetAsc"),
            OneHotEncoder(inputCols=indexed, outputCols=onehot, handleInvalid="keep"),
            VectorAssembler(inputCols=[*NUMERIC, *onehot], outputCol="features"),
        ]
    )  # fmt: skip


def _classifier(candidate: str, target: str, params: PropensityConfig):
    cols = dict(featuresCol="features", labelCol=target, predictionCol=f"_pred_{target}")
    if candidate == "logistic_regression":
        clf = LogisticRegression(regParam=params.reg_param, maxIter=params.max_iter, **cols)
    else:
        clf = GBTClassifier(
            maxIter=params.gbt_max_iter, maxDepth=params.gbt_max_depth, seed=params.seed, **cols
        )
    return clf.setProbabilityCol(f"_prob_{target}").setRawPredictionCol(f"_raw_{target}")


def fit(train: DataFrame, params: PropensityConfig) -> dict[str, PipelineModel]:
    """One fitted pipeline per candidate of ``params``, from labelled pairs."""
    prep = _prep().fit(train)
    prepared = prep.transform(train).select("features", *TARGETS).cache()
    models = {}
    for candidate in params.candidates:
        stages = [_classifier(candidate, t, params).fit(prepared) for t in TARGETS]
        models[candidate] = PipelineModel(stages=[*prep.stages, *stages])
    prepared.unpersist()
    return models


def predict(model: PipelineModel, pairs: DataFrame) -> DataFrame:
    """``pairs`` with p_click and p_order (the probability of class 1) and no model columns."""
    out = model.transform(pairs)
    for t in TARGETS:
        out = out.withColumn(f"p_{t}", vector_to_array(F.col(f"_prob_{t}"))[1])
    return out.select(*pairs.columns, *(f"p_{t}" for t in TARGETS))
