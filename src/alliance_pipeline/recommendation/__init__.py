"""Cross-brand recommendations: implicit ALS on weighted interactions, evaluated against a
popularity baseline, gated, scored top-N per person with a cross-brand quota.

Modules: interactions (confidence, the one exclusion rule), indexing (stable integer ids),
train (ALS), tuning (hyper-parameters on validation days), metrics (ranking metrics in NumPy),
evaluate (the same metrics in Spark, holdout: shipped lists, model, popularity), scoring (top-N,
quota, consent, cold start), run (the night), publish (marts and gate), audience (partner
audience files).
Parameters: ``alliance_pipeline.config.RecommendationConfig``.
"""
