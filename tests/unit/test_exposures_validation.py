"""experiment_exposures through the validation gate: its volume follows the experiments
declared, so a first night of hundreds of exposures after quiet nights is not rejected by the
row-count band that holds the other datasets to the nights before."""

from datetime import date, timedelta

import pytest

from alliance_pipeline.manifest import MANIFEST_NAME, Manifest, ManifestFile, sha256_bytes
from alliance_pipeline.registry import source as registry_source
from alliance_pipeline.validation import validate_batch
from tests.fixtures.bad_inputs import cases
from tests.fixtures.bad_inputs.lake import NOW

pytestmark = pytest.mark.unit


def quiet_nights(raw, src: str, dataset: str, nights: int) -> None:
    """Manifests of ``nights`` earlier deliveries of no rows."""
    for back in range(1, nights + 1):
        dt = (date.fromisoformat(cases.DT) - timedelta(days=back)).isoformat()
        key = registry_source(src).landing_key(dataset, dt, "part-00000.csv")
        night = raw / src / dataset / f"dt={dt}"
        night.mkdir(parents=True)
        files = (ManifestFile(key, 0, sha256_bytes(b"")),)
        (night / MANIFEST_NAME).write_text(Manifest(src, dataset, dt, 1, files).to_json())


def test_first_night_of_an_experiment_passes_after_quiet_nights(lake_with_refs):
    raw = lake_with_refs / "raw"
    users = cases.users("platform")
    cases.stage_bytes(raw, "platform", "users", cases.encode("platform", users), len(users))
    validate_batch("platform", "users", cases.DT, "ref-run", now=NOW)
    rows = [
        {
            "source_user_id": u["source_user_id"],
            "experiment_id": "rec_test",
            "variant": "control" if i % 2 else "treatment",
            "exposed_at": f"{cases.DT}T{8 + i % 12:02d}:{i:02d}:00+08:00",
        }
        for i, u in enumerate(users)
    ]
    quiet_nights(raw, "platform", "experiment_exposures", 5)
    data = cases.encode("platform", rows)
    cases.stage_bytes(raw, "platform", "experiment_exposures", data, len(rows))
    result = validate_batch("platform", "experiment_exposures", cases.DT, "run-1", now=NOW)
    assert not result.batch_rejected, result.failed_critical
    assert result.rows_passed == len(rows) and result.rows_quarantined == 0
