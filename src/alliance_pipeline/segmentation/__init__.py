"""User segmentation: per-person features, KMeans segments with stable ids, readable profiles.

features  pure DataFrame transforms: clean zone + person dimension -> one row per person
kmeans    scaling, KMeans with k chosen by stability (split halves), PCA for the chart
stability centroid matching to the previous run: stable ids, new and retired segments
profiles  per-segment profile in plain units and a readable label
chart     self-contained HTML profile chart per run
publish   marts dim_segment and person_segment through the warehouse layer
"""
