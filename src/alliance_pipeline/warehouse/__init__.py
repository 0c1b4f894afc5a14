"""The warehouse layer: one interface over DuckDB (default, a file) and PostgreSQL.

    wh = open_warehouse("duckdb:////abs/path/warehouse.duckdb")  # or "postgresql://..."
    wh.migrate()
    wh.replace_partition("mart.fct_order", {"dt": date(2026, 11, 23)}, arrow_or_pandas)

Placeholders are ``?`` on both dialects. See base.Warehouse for the whole API.
"""

from __future__ import annotations

from alliance_pipeline.warehouse.base import Transaction, Warehouse
from alliance_pipeline.warehouse.connect import open_warehouse, warehouse_from_airflow
from alliance_pipeline.warehouse.dim_source import publish_dim_source
from alliance_pipeline.warehouse.migrations import MigrationError
from alliance_pipeline.warehouse.sql import WarehouseError

__all__ = [
    "MigrationError",
    "Transaction",
    "Warehouse",
    "WarehouseError",
    "open_warehouse",
    "publish_dim_source",
    "warehouse_from_airflow",
]
