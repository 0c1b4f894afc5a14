"""Reading the lake with pyarrow, for the tasks that run outside Spark.

Files written by Spark's ``partitionBy`` hold no partition columns (``dt``, ``source``,
``run_date``): they are recovered from the folder names. A tz-naive timestamp (Spark's INT96,
written before timestamps became TIMESTAMP_MICROS) is a UTC instant.

The clean zone is read in its contract's types (:func:`read_clean`): decimals are cast exactly
(a cast that would round fails), a float where money is due is refused, drifted extra columns
are dropped. Other datasets (:func:`read_partition`) keep the types of their files.
"""

from __future__ import annotations

import datetime
import shutil
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from alliance_pipeline.contracts import clean_columns
from alliance_pipeline.lake import paths
from alliance_pipeline.readers import ARROW_TYPES

DATE_KEYS = ("dt", "run_date")
UTC_MICROS = pa.timestamp("us", tz="UTC")


def clean_schema(dataset: str) -> pa.Schema:
    """The clean zone's columns of ``dataset`` (Spark's schema is made from this one)."""
    return pa.schema([(c.name, ARROW_TYPES[c.dtype]) for c in clean_columns(dataset)])


def clean_file_schema(dataset: str) -> pa.Schema:
    """What a clean file holds: the clean columns but dt and source (folder names)."""
    return pa.schema([f for f in clean_schema(dataset) if f.name not in ("dt", "source")])


def conform_column(column: pa.ChunkedArray, target: pa.DataType, where: str) -> pa.ChunkedArray:
    """One file column cast to its contract type; ``where`` names dataset, dt, source, column."""
    have = column.type
    if have == target:
        return column
    if pa.types.is_decimal(target) and pa.types.is_floating(have):
        raise TypeError(f"{where}: {have} where {target} is due (rule: money is never float)")
    if pa.types.is_timestamp(target) and pa.types.is_timestamp(have) and have.tz is None:
        # tz-naive instants are UTC; Spark's INT96 carries nanoseconds it never fills
        return column.cast(target, safe=False)
    try:
        return column.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise TypeError(f"{where}: cannot read {have} as {target} ({exc})") from None


def conform(
    table: pa.Table, schema: pa.Schema, dataset: str, day: datetime.date, source: str
) -> pa.Table:
    """A clean file's table with exactly the contract's columns; dt and source from the path."""
    columns = []
    for field in schema:
        if field.name == "dt":
            columns.append(pa.array([day] * table.num_rows, field.type))
        elif field.name == "source":
            columns.append(pa.array([source] * table.num_rows, field.type))
        elif field.name in table.column_names:
            where = f"source {source}, dataset {dataset}, dt {day}, column {field.name}"
            columns.append(conform_column(table[field.name], field.type, where))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _partition_value(folder: Path, key: str) -> str:
    name, _, value = folder.name.partition("=")
    if name != key or not value:
        raise ValueError(f"clean zone: folder {folder} is not a {key}= partition")
    return value


def _data_files(folder: Path) -> list[Path]:
    return sorted(f for f in folder.glob("*.parquet") if not f.name.startswith(("_", ".")))


def read_clean_table(
    lake_root: Path | str,
    dataset: str,
    dt: str,
    latest_only: bool = False,
    since: str | None = None,
    where: pc.Expression | None = None,
    columns: tuple[str, ...] | None = None,
) -> pa.Table:
    """All ``clean/{dataset}/dt=*/source=*/`` Parquet with dt <= ``dt`` (and >= ``since``),
    conformed; with ``latest_only`` (snapshots), each source's latest dt only; with ``where``,
    only the rows it selects (filtered file by file); with ``columns``, only those (``where``
    may use only them), the others never read from the files."""
    base = paths.path(paths.clean(dataset), Path(lake_root))
    schema = clean_schema(dataset)
    if columns is not None:
        schema = pa.schema([schema.field(c) for c in columns])
    folders: dict[str, list[tuple[datetime.date, Path]]] = {}
    for dt_dir in sorted(p for p in base.glob("dt=*") if p.is_dir() and p.name[3:] <= dt):
        if since is not None and dt_dir.name[3:] < since:
            continue
        day = datetime.date.fromisoformat(_partition_value(dt_dir, "dt"))
        for src_dir in sorted(p for p in dt_dir.glob("source=*") if p.is_dir()):
            if _data_files(src_dir):
                folders.setdefault(_partition_value(src_dir, "source"), []).append((day, src_dir))
    chosen = sorted(
        (day, src, folder)
        for src, parts in folders.items()
        for day, folder in (parts[-1:] if latest_only else parts)
    )
    tables = [schema.empty_table()]
    for day, src, folder in chosen:
        for f in _data_files(folder):
            names = None
            if columns is not None:
                names = [c for c in pq.read_schema(f).names if c in columns]
            raw = pq.read_table(f, columns=names, coerce_int96_timestamp_unit="us")
            table = conform(raw, schema, dataset, day, src)
            tables.append(table if where is None else table.filter(where))
    return pa.concat_tables(tables)


def to_frame(table: pa.Table) -> pd.DataFrame:
    """A clean table as pandas: decimals as Decimal, dates as date, integers with nulls as
    Python ints (never float), timestamps as UTC-aware."""
    return table.to_pandas(integer_object_nulls=True, date_as_object=True)


def read_clean(
    lake_root: Path | str,
    dataset: str,
    dt: str,
    latest_only: bool = False,
    since: str | None = None,
) -> pd.DataFrame:
    """:func:`read_clean_table` as pandas (:func:`to_frame`)."""
    return to_frame(read_clean_table(lake_root, dataset, dt, latest_only, since))


def _field(f: pa.Field) -> pa.Field:
    if pa.types.is_timestamp(f.type) and f.type.tz is None:
        return pa.field(f.name, UTC_MICROS)
    return f


def _schema(folder: Path) -> pa.Schema:
    """Every file's columns (first type seen wins, naive timestamps as UTC) plus the partition
    keys below ``folder`` as text."""
    found = pads.dataset(folder, format="parquet", partitioning="hive")
    fields: dict[str, pa.Field] = {}
    for fragment in found.get_fragments():
        for f in fragment.physical_schema:
            fields.setdefault(f.name, _field(f))
    for key in found.schema.names:  # the file columns, then the keys found in folder names
        if key not in fields:
            fields[key] = pa.field(key, pa.string())
    return pa.schema(list(fields.values()))


def read_partition(
    lake_root: Path | str, dataset: str, columns: list[str] | None = None, **keys
) -> pd.DataFrame:
    """The rows of ``dataset``'s partition ``k1=v1/k2=v2...`` (``keys`` in folder order), with
    the given keys (``dt``/``run_date`` as dates) and any deeper partition keys (as text) as
    columns. ``columns``: only these. Raises FileNotFoundError naming the folder when the
    partition does not exist."""
    folder = paths.partition(dataset, Path(lake_root), **keys)
    if not folder.is_dir():
        raise FileNotFoundError(f"lake partition {folder} missing")
    schema = _schema(folder)
    table = pads.dataset(folder, format="parquet", partitioning="hive", schema=schema).to_table()
    for key, value in keys.items():
        if key not in table.column_names:  # files written before partitionBy may hold it
            table = table.append_column(key, pa.array([str(value)] * table.num_rows, pa.string()))
    for key in DATE_KEYS:
        if key in table.column_names:
            i = table.column_names.index(key)
            table = table.set_column(i, key, pc.cast(table[key], pa.date32()))
    if columns is not None:
        table = table.select(columns)
    return table.to_pandas()


class StagedPartition:
    """A partition built in a hidden folder beside it: :meth:`commit` swaps it in whole,
    :meth:`discard` leaves the previous one as it was."""

    def __init__(self, path: Path):
        self.path = path
        self.staging, self.aside = (
            path.with_name(f".{path.name}.{kind}") for kind in ("staging", "aside")
        )
        for leftover in (self.staging, self.aside):
            shutil.rmtree(leftover, ignore_errors=True)
        self.staging.mkdir(parents=True)

    def commit(self) -> Path:
        if self.path.exists():
            self.path.rename(self.aside)
        self.staging.rename(self.path)
        shutil.rmtree(self.aside, ignore_errors=True)
        return self.path

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def remove(self) -> Path:
        """Nothing in its place: the staged rows and the previous partition go."""
        self.discard()
        shutil.rmtree(self.path, ignore_errors=True)
        return self.path


@contextmanager
def replacing(path: Path) -> Generator[Path]:
    """A :class:`StagedPartition`'s folder to write in; on success it replaces ``path`` whole."""
    staged = StagedPartition(path)
    try:
        yield staged.staging
    except BaseException:
        staged.discard()
        raise
    staged.commit()


def latest_partition_before(lake_root: Path | str, dataset: str, dt: str) -> Path | None:
    """The ``dt=`` folder of ``dataset`` with the latest date before ``dt`` (None: none)."""
    base = paths.path(dataset, Path(lake_root))
    earlier = sorted(p for p in base.glob("dt=*") if p.is_dir() and p.name[3:] < dt)
    return earlier[-1] if earlier else None
