"""What a settlement night carries to the next, so that it need not re-read history: each
person's first order and the new persons per campaign and day (curated zone, one ``dt=``
folder per settled night, replaced on a rerun; a night reads the latest one before its own)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from alliance_pipeline.lake import paths
from alliance_pipeline.lake.arrow_io import latest_partition_before, replacing
from alliance_pipeline.settlement.engine import FirstOrders

FILE = "part-00000.parquet"
FIRSTS_SCHEMA = pa.schema(
    [
        ("person_key", pa.string()),
        ("ordered_at", pa.timestamp("us", tz="UTC")),
        ("source", pa.string()),
        ("order_id", pa.string()),
    ]
)
NEW_PERSONS_SCHEMA = pa.schema(
    [("campaign_id", pa.string()), ("date", pa.date32()), ("persons", pa.int64())]
)
NewPersons = dict[str, dict[datetime.date, int]]


@dataclass(frozen=True)
class Carried:
    firsts: FirstOrders
    new_persons: NewPersons


def previous(lake_root: Path | str, as_of: str) -> Carried | None:
    """What the latest night settled before ``as_of`` carried (None: no such night)."""
    folders = [
        latest_partition_before(lake_root, dataset, as_of)
        for dataset in (paths.SETTLEMENT_FIRST_ORDERS, paths.SETTLEMENT_NEW_PERSONS)
    ]
    if None in folders or folders[0].name != folders[1].name:
        return None
    firsts = pq.read_table(folders[0] / FILE).to_pydict()
    counts = pq.read_table(folders[1] / FILE).to_pydict()
    new_persons: NewPersons = {}
    for cid, day, n in zip(counts["campaign_id"], counts["date"], counts["persons"], strict=True):
        new_persons.setdefault(cid, {})[day] = n
    return Carried(
        dict(
            zip(
                firsts["person_key"],
                zip(firsts["ordered_at"], firsts["source"], firsts["order_id"], strict=True),
                strict=True,
            )
        ),
        new_persons,
    )


def write(lake_root: Path | str, as_of: str, carried: Carried) -> None:
    firsts = sorted(carried.firsts.items())
    first_table = pa.table(
        {
            "person_key": [p for p, _ in firsts],
            "ordered_at": [f[0] for _, f in firsts],
            "source": [f[1] for _, f in firsts],
            "order_id": [f[2] for _, f in firsts],
        },
        schema=FIRSTS_SCHEMA,
    )
    cells = sorted(
        (cid, day, n) for cid, days in carried.new_persons.items() for day, n in days.items()
    )
    count_table = pa.table(
        {
            "campaign_id": [c for c, _, _ in cells],
            "date": [d for _, d, _ in cells],
            "persons": [n for _, _, n in cells],
        },
        schema=NEW_PERSONS_SCHEMA,
    )
    for dataset, table in (
        (paths.SETTLEMENT_FIRST_ORDERS, first_table),
        (paths.SETTLEMENT_NEW_PERSONS, count_table),
    ):
        with replacing(Path(paths.partition(dataset, Path(lake_root), dt=as_of))) as staging:
            pq.write_table(table, staging / FILE)
