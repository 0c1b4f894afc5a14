"""Rotate the pseudonym key over the lake: identity map, clean/ and curated/ (see privacy.rekey).

    spark-submit jobs/rekey.py --lake-root /abs/lake

The NEW key comes from ALLIANCE_PSEUDONYM_KEY / ALLIANCE_PSEUDONYM_KEY_VERSION (the rotated
Airflow connection). Afterwards call ``rekey_warehouse(wh, lake_root, new_version)``. Restartable:
the mapping is written first and reused; partitions already re-keyed stay as they are.
"""

from __future__ import annotations

import argparse
import sys

from pyspark.errors import AnalysisException

from alliance_pipeline.lake import paths, spark_io
from alliance_pipeline.privacy.pseudonym import pseudonym_key_from_env
from alliance_pipeline.privacy.rekey import apply_mapping, key_mapping, rekeyed_map
from alliance_pipeline.spark_session import job_session

ZONES = ("clean", "curated")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake-root", required=True)
    args = parser.parse_args(argv)
    root = args.lake_root.rstrip("/")
    key = pseudonym_key_from_env()
    spark = job_session(f"alliance-rekey-{key.version}")
    spark.sparkContext.setLogLevel("WARN")

    map_root = paths.path(paths.PERSON_MAP, root)
    snapshots = spark_io.partition_values(spark, map_root, "dt")
    if not snapshots:
        raise SystemExit(f"no identity map under {map_root}: nothing to re-key")
    mpath = paths.partition(paths.REKEY, root, key_version=key.version)
    if not spark_io.exists(spark, mpath):
        latest = spark.read.parquet(paths.partition(paths.PERSON_MAP, root, dt=snapshots[-1]))
        spark_io.overwrite_dir(key_mapping(latest, key), mpath)  # whole, or not there
    mapping = spark.read.parquet(mpath).cache()
    tmp = paths.path(f"{paths.REKEY}/_tmp", root)

    for zone in ZONES:
        for name in spark_io.subdirs(spark, paths.path(zone, root)):
            dataset = paths.path(f"{zone}/{name}", root)
            for part in spark_io.subdirs(spark, dataset):
                if part.startswith(("_", ".")):
                    continue  # a job's staging folder, not a partition
                path, staging = paths.at(dataset, part), paths.at(tmp, zone, name, part)
                try:
                    df = spark.read.parquet(path)
                except AnalysisException:
                    print(f"rekey {key.version}: skipped {zone}/{name}/{part}: no Parquet rows")
                    continue
                if "person_key" not in df.columns:
                    break
                nested = sorted(
                    {d.split("=")[0] for d in spark_io.subdirs(spark, path) if "=" in d}
                )
                out = apply_mapping(df, mapping)
                out.write.mode("overwrite").partitionBy(*nested).parquet(staging)
                spark_io.replace_dir(spark, staging, path)
            print(f"rekey {key.version}: {zone}/{name} done")
    for dt in snapshots:
        path = paths.partition(paths.PERSON_MAP, root, dt=dt)
        staging = paths.at(tmp, "map", dt)
        rekeyed_map(spark.read.parquet(path), key).write.mode("overwrite").parquet(staging)
        spark_io.replace_dir(spark, staging, path)
    print(f"rekey {key.version}: identity map done; now rekey_warehouse(wh, lake_root, version)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
