"""Session settings of the segmentation and recommendation jobs (their lake I/O is
:mod:`alliance_pipeline.lake.spark_io`)."""

from __future__ import annotations

# A night reads one folder per day of its look-back window and source. Spark lists more than
# 32 paths with a distributed job (a task per folder), which costs more than it saves on a small
# master; the driver lists up to this many itself.
SESSION_CONF = {"spark.sql.sources.parallelPartitionDiscovery.threshold": "1024"}
