"""The lake: where everything is (:mod:`.paths`, cheap to import), reading and writing it from
Spark (:mod:`.spark_io`) and from pyarrow (:mod:`.arrow_io`)."""
