"""One raw partition (part files + ``_manifest.json``) read in chunks: a survey, then the rows.

:func:`survey` reads every file the manifest lists through once and keeps only what judging the
whole delivery needs before any row is judged: which files cannot be read and why, the rows of
each file, the delivered columns (in the order a whole read gives them). :func:`raw_chunks` then
gives the readable files' rows as frames of text cells, ``_file`` and ``_row`` first, of exactly
``chunk_rows`` rows (the last fewer; a delivery without rows: one empty frame), across files.
Neither holds more than about two chunks of rows at once, whatever the delivery's size.

Given a ``keep`` folder, the survey keeps each frame it read as an Arrow file there (LZ4), and
:func:`raw_chunks` reads those instead of decoding and parsing the part files again; a file with
a cell Arrow cannot hold (a lone surrogate from a JSON escape) is read again from the delivery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from alliance_pipeline.contracts import Dataset
from alliance_pipeline.manifest import MANIFEST_NAME, Manifest, file_name, parse_manifest
from alliance_pipeline.part_files import FileProblem, file_frames
from alliance_pipeline.registry import Source

CUT = "_cut"  # part_files' flag of a cut CSV record, never a delivered column


@dataclass
class Delivery:
    folder: Path
    manifest: Manifest
    source: Source
    readable: list[str] = field(default_factory=list)  # part file names, in manifest order
    problems: list[tuple[str, str]] = field(default_factory=list)  # (rule, detail)
    rows_per_file: dict[str, int] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)  # delivered, or the contract's if none
    columns_per_file: dict[str, list[str]] = field(default_factory=dict)  # readable files
    kept: dict[str, list[Path]] = field(default_factory=dict)  # file -> its frames, as read

    @property
    def rows(self) -> int:
        return sum(self.rows_per_file.values())

    @property
    def raw_columns(self) -> list[str]:
        return ["_file", "_row", *self.columns]

    def extra_columns(self, dataset: Dataset) -> list[str]:
        return [c for c in self.columns if not c.startswith("_") and c not in dataset.column_names]

    def extra_columns_observed(self, dataset: Dataset) -> str:
        """The extra columns by position, never by name: a name may be a delivered value."""
        extra = self.extra_columns(dataset)
        places = ", ".join(str(self.columns.index(c) + 1) for c in extra)
        return f"{len(extra)} column(s) not in the contract, at position(s) {places}"

    def missing_columns(self, dataset: Dataset) -> list[str]:
        """Contract columns a readable file lacks: ``name``, or ``name (file, ...)`` when only
        some files lack it (each part file is held to the contract, not only their union)."""
        out = []
        for column in dataset.column_names:
            lacking = [f for f, cols in self.columns_per_file.items() if column not in cols]
            if lacking and len(lacking) == len(self.columns_per_file):
                out.append(column)
            elif lacking:
                out.append(f"{column} ({', '.join(lacking)})")
        if not self.columns_per_file:
            out = [c for c in dataset.column_names if c not in self.columns]
        return out

    def frames(self, name: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
        if name in self.kept:
            return (read_kept(path) for path in self.kept[name])
        src = self.source
        return file_frames(
            lambda: open(self.folder / name, "rb"), src.format, src.encoding, chunk_rows
        )


def survey(
    folder: Path,
    source: Source,
    dataset: Dataset,
    dt: str,
    chunk_rows: int,
    on_frame: Callable[[pd.DataFrame], None] | None = None,
    keep: Path | None = None,
) -> Delivery:
    """Read ``raw/{source}/{dataset}/dt={dt}/`` through once; ``on_frame`` sees each frame of
    text cells (at most ``chunk_rows`` rows, in delivery order); ``keep``: a folder to keep
    the frames in, for :func:`raw_chunks`."""
    manifest = parse_manifest(
        (folder / MANIFEST_NAME).read_bytes(),
        source=source.id,
        dataset=dataset.name,
        dt=dt,
        prefix=source.landing_key(dataset.name, dt),
    )
    delivery = Delivery(folder, manifest, source)
    columns: dict[str, None] = {}
    for f in manifest.files:
        name = file_name(f.key)
        rows, seen, kept = 0, {}, [] if keep is not None else None
        try:
            for frame in delivery.frames(name, chunk_rows):
                seen.update(dict.fromkeys(c for c in frame.columns if c != CUT))
                rows += len(frame)
                if on_frame is not None:
                    on_frame(frame)
                if kept is not None:
                    kept = _keep(frame, keep / f"{len(delivery.kept)}-{len(kept)}.arrow", kept)
        except FileProblem as problem:
            delivery.problems.append((problem.rule, f"{name}: {problem.detail}"))
            continue
        if not seen:  # JSON Lines without a record: a delivery of no rows, not of no columns
            seen = dict.fromkeys(dataset.column_names)
        if not any(c in dataset.column_names for c in seen):
            detail = "its columns include none of the contract's (a header row missing?)"
            delivery.problems.append(("header_missing", f"{name}: {detail}"))
            continue
        delivery.readable.append(name)
        if kept is not None:
            delivery.kept[name] = kept
        delivery.rows_per_file[name] = rows
        delivery.columns_per_file[name] = list(seen)
        columns.update(seen)
    delivery.columns = list(columns) if delivery.readable else list(dataset.column_names)
    return delivery


def raw_chunks(delivery: Delivery, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """The readable files' rows as text, ``chunk_rows`` rows a frame (RangeIndex)."""
    pieces: list[pd.DataFrame] = []
    held, given = 0, False
    for name in delivery.readable:
        first_row = 0
        for frame in delivery.frames(name, chunk_rows):
            piece = _conformed(frame, name, first_row, delivery.columns)
            first_row += len(frame)
            while len(piece):
                take = piece.iloc[: chunk_rows - held]
                pieces.append(take)
                held += len(take)
                piece = piece.iloc[len(take) :]
                if held == chunk_rows:
                    yield _joined(pieces, delivery.raw_columns)
                    pieces, held, given = [], 0, True
    if held or not given:
        yield _joined(pieces, delivery.raw_columns)


def _conformed(frame: pd.DataFrame, name: str, first_row: int, columns: list[str]) -> pd.DataFrame:
    """A file's frame with the delivery's columns (absent ones null), ``_file`` and ``_row``."""
    cut = frame.pop(CUT) if CUT in frame.columns else None
    if list(frame.columns) != columns:
        frame = frame.reindex(columns=columns)
    frame.insert(0, "_row", np.arange(first_row, first_row + len(frame), dtype="int64"))
    frame.insert(0, "_file", name)
    if cut is not None:
        frame[CUT] = cut.to_numpy()
    return frame


def _joined(pieces: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not pieces:
        return pd.DataFrame(columns=columns, dtype=object)
    if len(pieces) == 1:
        return pieces[0].reset_index(drop=True)
    return pd.concat(pieces, ignore_index=True)


def _keep(frame: pd.DataFrame, path: Path, kept: list[Path]) -> list[Path] | None:
    """``kept`` with ``frame`` written to ``path``; None when Arrow cannot hold a cell."""
    try:
        table = pa.table({str(c): pa.array(frame[c].to_numpy(), from_pandas=True) for c in frame})
    except (pa.ArrowException, UnicodeEncodeError):
        return None
    options = pa.ipc.IpcWriteOptions(compression="lz4")
    with (
        pa.OSFile(str(path), "wb") as sink,
        pa.ipc.new_file(sink, table.schema, options=options) as out,
    ):
        out.write_table(table)
    return [*kept, path]


def read_kept(path: Path) -> pd.DataFrame:
    """A kept frame as the survey read it: text cells (None for null), ``_cut`` as booleans."""
    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
    return pd.DataFrame(
        {n: table.column(n).to_numpy(zero_copy_only=False) for n in table.column_names},
        columns=table.column_names,
    )
