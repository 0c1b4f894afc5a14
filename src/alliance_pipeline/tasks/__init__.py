"""The task callables of the DAGs, one module per DAG file: each takes what Airflow passes (the
night, params) and calls the domain's entry point with the connections Airflow holds.

Light to import: domain modules are imported inside the callables, so parsing a DAG file does
not load pandas, Spark or Great Expectations.
"""
