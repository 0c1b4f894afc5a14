import textwrap

import pytest

from alliance_pipeline import contracts
from alliance_pipeline.registry import RegistryError, active_sources, load_sources

pytestmark = pytest.mark.unit


def test_registry_has_platform_and_five_partners_in_every_format():
    sources = active_sources()
    partners = [s for s in sources if s.kind == "partner"]
    assert [s.kind for s in sources].count("platform") == 1
    assert len(partners) >= 5
    assert {"gbk"} <= {s.encoding for s in partners if s.format == "csv"}
    assert {"csv", "jsonl", "parquet"} <= {s.format for s in partners}
    assert all(s.outbound_prefix for s in partners)


def test_adding_a_partner_is_a_registry_edit(tmp_path):
    base = tmp_path / "sources.yml"
    from alliance_pipeline.settings import CONFIG_DIR

    text = (CONFIG_DIR / "sources.yml").read_text(encoding="utf-8")
    text += textwrap.dedent(
        """
          - id: newco
            name: NewCo
            kind: partner
            landing_prefix: partners/newco
            outbound_prefix: outbound/newco
            datasets: [users, orders]
            format: jsonl
            encoding: utf-8
            timezone: Asia/Shanghai
            alert_contact: data@newco.example
            active: true
        """
    ).replace("\n", "\n  ")
    base.write_text(text, encoding="utf-8")
    assert "newco" in {s.id for s in load_sources(base)}


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("format", "xlsx", "format must be one of"),
        ("encoding", "latin-1", "encoding must be one of"),
        ("datasets", "[users, contracts]", "a partner does not deliver contracts"),
        ("datasets", "[users, tweets]", "unknown dataset 'tweets'"),
    ],
)
def test_bad_registry_entries_are_named(tmp_path, field, value, message):
    entry = {
        "id": "bad",
        "name": "Bad",
        "kind": "partner",
        "landing_prefix": "partners/bad",
        "outbound_prefix": "outbound/bad",
        "datasets": "[users]",
        "format": "csv",
        "encoding": "utf-8",
        "alert_contact": "x@bad.example",
    }
    entry[field] = value
    lines = "\n".join(f"    {k}: {v}" for k, v in entry.items()).replace("    id:", "  - id:", 1)
    platform = (
        "  - id: p\n    name: P\n    kind: platform\n    landing_prefix: p\n"
        "    datasets: [catalog]\n    format: csv\n    alert_contact: p@p.example\n"
    )
    path = tmp_path / "sources.yml"
    path.write_text(f"sources:\n{platform}{lines}\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=message):
        load_sources(path)


def test_every_dataset_of_the_design_has_a_contract_with_keys_in_its_columns():
    assert set(contracts.DATASETS) == {
        "users",
        "events",
        "orders",
        "campaign_delivery",
        "campaigns",
        "catalog",
        "contracts",
        "fx_rates",
        "experiment_exposures",
    }
    for dt in contracts.DATASETS.values():
        assert set(dt.key) <= set(dt.column_names), dt.name
        for col in dt.key:
            assert not dt.column(col).nullable, (dt.name, col)
        for _col, target in dt.references.items():
            target_ds, target_col = target.split(".")
            assert target_col in contracts.dataset(target_ds).column_names


def test_clean_columns_carry_no_direct_identifier():
    for name in contracts.DATASETS:
        clean = {c.name for c in contracts.clean_columns(name)}
        assert not clean & {"full_name", "mobile", "email", "id_card_no", "birth_date", "city"}
        assert not clean & {"source_user_id"}
        assert {"source", "dt"} <= clean
    assert {"person_key", "key_version", "age_band", "city_tier"} <= {
        c.name for c in contracts.clean_columns("users")
    }


def test_alliance_sources_names_another_registry_and_the_bench_one_is_the_reference_shape(
    monkeypatch,
):
    from alliance_pipeline.settings import PROJECT_ROOT

    bench = PROJECT_ROOT / "bench" / "sources_reference.yml"
    default = active_sources()
    monkeypatch.setenv("ALLIANCE_SOURCES", str(bench))
    reference = active_sources()
    assert len(reference) == 10 and reference[: len(default)] == default
    monkeypatch.delenv("ALLIANCE_SOURCES")
    assert active_sources() == default
