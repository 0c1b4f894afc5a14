"""De-identify one night: validated/ -> clean/, identity/person_map/, curated/persons/.

    spark-submit jobs/deidentify.py --dt 2026-11-23 --lake-root /abs/lake

The pseudonym key comes from the environment (ALLIANCE_PSEUDONYM_KEY and
ALLIANCE_PSEUDONYM_KEY_VERSION, set by the task from the Airflow connection), never from the
command line. Nothing here prints rows: only dataset names and paths.
"""

from __future__ import annotations

import argparse
import datetime
import sys

from alliance_pipeline.contracts import DATASETS
from alliance_pipeline.lake import paths, spark_io
from alliance_pipeline.privacy.identity import deidentify_night
from alliance_pipeline.privacy.pseudonym import pseudonym_key_from_env
from alliance_pipeline.spark_session import job_session


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dt", required=True, help="run date YYYY-MM-DD")
    parser.add_argument("--lake-root", required=True, help="lake root folder or URI")
    args = parser.parse_args(argv)
    as_of = datetime.date.fromisoformat(args.dt)
    root = args.lake_root.rstrip("/")
    key = pseudonym_key_from_env()

    spark = job_session(f"alliance-deidentify-{args.dt}")
    spark.sparkContext.setLogLevel("WARN")
    validated = spark_io.read_validated(spark, root, args.dt)
    if not validated:
        raise SystemExit(f"dt={args.dt}: no validated partitions under {root}/validated")
    map_path = paths.partition(paths.PERSON_MAP, root, dt=args.dt)

    def materialise(identity_map):
        spark_io.overwrite_dir(identity_map, map_path)
        return spark.read.parquet(map_path)

    previous = spark_io.previous_map(spark, root, args.dt)
    night = deidentify_night(validated, previous, key, as_of, materialise)
    for name, df in night.clean.items():
        spark_io.write_clean_partition(df, root, name, args.dt)
        print(f"deidentify dt={args.dt}: wrote clean/{name}/dt={args.dt}")
    for name in sorted(set(DATASETS) - set(night.clean)):
        if spark_io.remove_dir(spark, paths.partition(paths.clean(name), root, dt=args.dt)):
            print(f"deidentify dt={args.dt}: removed clean/{name}/dt={args.dt} (nothing validated)")
    spark_io.overwrite_dir(night.persons, paths.partition(paths.PERSONS, root, dt=args.dt))
    print(f"deidentify dt={args.dt}: wrote {paths.PERSON_MAP} and {paths.PERSONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
