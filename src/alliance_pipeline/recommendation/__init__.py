"""Cross-brand recommendations: implicit ALS on weighted interactions, evaluated against a
popularity baseline, gated, scored top-N per person with a cross-brand quota.

Modules: interactions (confidence), indexing (stable integer ids), train (ALS), metrics
(ranking metrics in NumPy), evaluate (the same metrics in Spark, holdout), scoring (top-N,
quota, consent, cold start), publish (marts and gate), audience (partner audience files).
Parameters: ``alliance_pipeline.config.RecommendationConfig``.
"""
