"""The typed pipeline configuration: the committed file, unknown keys, and no key left unread."""

import re

import pytest
from pydantic import BaseModel, ValidationError

from alliance_pipeline.config import PipelineConfig, SegmentationConfig, pipeline_config
from alliance_pipeline.settings import CONFIG_DIR, JOBS_DIR, PROJECT_ROOT

pytestmark = pytest.mark.unit

COMMITTED = CONFIG_DIR / "pipeline.yml"

CODE = [*(PROJECT_ROOT / "src" / "alliance_pipeline").rglob("*.py"), *JOBS_DIR.glob("*.py")]


def keys(model: type[BaseModel]) -> set[str]:
    """Every field name of ``model`` and of the section models below it."""
    out = set()
    for name, field in model.model_fields.items():
        out.add(name)
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            out |= keys(field.annotation)
    return out


def test_the_committed_file_states_the_defaults():
    assert PipelineConfig.from_yaml(COMMITTED) == PipelineConfig()


def test_the_demo_differs_from_the_committed_defaults_only_in_the_label_period():
    demo = PipelineConfig.from_yaml(CONFIG_DIR / "demo-pipeline.yml")
    assert demo.propensity.label_days == 1
    assert demo.override(propensity=demo.propensity.override(label_days=7)) == PipelineConfig()


def test_every_key_is_read_by_the_code():
    text = "\n".join(p.read_text(encoding="utf-8") for p in CODE if p.name != "config.py")
    unread = {k for k in keys(PipelineConfig) if not re.search(rf"\.{k}\b(?!\s*\()", text)}
    assert unread == set()


def test_an_unknown_key_in_the_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "pipeline.yml"
    path.write_text("privacy:\n  min_cell_size: 5\n  min_cell_sise: 7\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"privacy\.min_cell_sise"):
        PipelineConfig.from_yaml(path)
    path.write_text("ingestion:\n  manifest_timeout_seconds: 1800\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"ingestion"):
        PipelineConfig.from_yaml(path)


def test_a_file_overrides_only_what_it_names(tmp_path):
    path = tmp_path / "pipeline.yml"
    path.write_text("segmentation:\n  k_max: 5\n", encoding="utf-8")
    cfg = PipelineConfig.from_yaml(path)
    assert cfg.segmentation == SegmentationConfig(k_max=5)
    assert cfg.recommendation == PipelineConfig().recommendation


def test_override_is_validated_like_the_file():
    base = SegmentationConfig()
    assert base.override(k_min=2).k_min == 2 and base.k_min == 3
    with pytest.raises(ValidationError, match="kmin"):
        base.override(kmin=2)
    with pytest.raises(ValidationError, match="holdout_days must be shorter"):
        pipeline_config().recommendation.override(holdout_days=90)


def test_validation_reads_a_positive_number_of_rows_at_a_time():
    assert pipeline_config().validation.chunk_rows > 0
    with pytest.raises(ValidationError, match="chunk_rows"):
        pipeline_config().validation.override(chunk_rows=0)
