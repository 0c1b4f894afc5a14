"""alliance_pipeline: the logic behind the alliance Airflow DAGs (DAG files only wire tasks)."""
