import json

import pytest

from alliance_pipeline.manifest import (
    Manifest,
    ManifestError,
    ManifestFile,
    parse_manifest,
    sha256_bytes,
)

pytestmark = pytest.mark.unit

PREFIX = "partners/moonbay/orders/dt=2026-11-23/"
WHERE = {"source": "moonbay", "dataset": "orders", "dt": "2026-11-23", "prefix": PREFIX}


def manifest(**overrides) -> dict:
    body = {
        "source": "moonbay",
        "dataset": "orders",
        "dt": "2026-11-23",
        "schema_version": 1,
        "files": [{"key": PREFIX + "part-00000.csv", "rows": 3, "sha256": sha256_bytes(b"x")}],
    }
    body.update(overrides)
    return body


def test_round_trip_and_digest_is_stable():
    parsed = parse_manifest(json.dumps(manifest()), **WHERE)
    assert parsed.rows == 3
    again = parse_manifest(parsed.to_json(), **WHERE)
    assert again == parsed and again.digest == parsed.digest


def test_corrected_redelivery_has_another_digest():
    a = Manifest("moonbay", "orders", "2026-11-23", 1, (ManifestFile(PREFIX + "a", 1, "0" * 64),))
    b = Manifest("moonbay", "orders", "2026-11-23", 1, (ManifestFile(PREFIX + "a", 2, "0" * 64),))
    assert a.digest != b.digest


@pytest.mark.parametrize(
    "overrides, rule",
    [
        ({"dt": "2026-11-22"}, "manifest describes"),
        ({"schema_version": 2}, "schema_version"),
        (
            {
                "files": [
                    {
                        "key": "partners/moonbay/orders/dt=2026-11-22/p.csv",
                        "rows": 1,
                        "sha256": "0" * 64,
                    }
                ]
            },
            "outside the partition prefix",
        ),
        (
            {"files": [{"key": PREFIX + "../../x.csv", "rows": 1, "sha256": "0" * 64}]},
            "'..' path segment",
        ),
        ({"files": [{"key": PREFIX + "..", "rows": 1, "sha256": "0" * 64}]}, "'..' path segment"),
        ({"files": [{"key": PREFIX + ".", "rows": 1, "sha256": "0" * 64}]}, "'..' path segment"),
        ({"files": [{"key": PREFIX + "a/./p.csv", "rows": 1, "sha256": "0" * 64}]}, "segment"),
        ({"files": [{"key": PREFIX + "a//p.csv", "rows": 1, "sha256": "0" * 64}]}, "segment"),
        ({"files": [{"key": PREFIX, "rows": 1, "sha256": "0" * 64}]}, "segment"),
        (
            {
                "files": [
                    {"key": PREFIX + "a/part-0.csv", "rows": 1, "sha256": "0" * 64},
                    {"key": PREFIX + "b/part-0.csv", "rows": 2, "sha256": "1" * 64},
                ]
            },
            "share the file name 'part-0.csv'",
        ),
        (
            {"files": [{"key": PREFIX + "p.csv", "rows": -1, "sha256": "0" * 64}]},
            "bad checksum or row count",
        ),
        ({"files": [{"key": PREFIX + "p.csv"}]}, "unreadable manifest"),
    ],
)
def test_bad_manifests_name_the_partition_and_rule(overrides, rule):
    with pytest.raises(ManifestError) as err:
        parse_manifest(json.dumps(manifest(**overrides)), **WHERE)
    assert "source=moonbay dataset=orders dt=2026-11-23" in str(err.value)
    assert rule in str(err.value)


def test_unparseable_json():
    with pytest.raises(ManifestError, match="unreadable manifest"):
        parse_manifest(b"{not json", **WHERE)
