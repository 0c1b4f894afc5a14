"""GX data docs, built once per run date from the scrubbed suite results of every batch.

``validate_batch`` saves each batch's GX result (no cell values) under
``reports/dq/dt={dt}/gx/{source}.{dataset}.json``; :func:`build_data_docs` renders them all into
one site, ``reports/data_docs/dt={dt}/index.html``, replacing it. Building per batch cost more
than validating a small batch, and the index of one site per night is what a person opens.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from alliance_pipeline.lake import paths
from alliance_pipeline.validation.gx_run import context


def docs_site(dt: str) -> Path:
    return paths.partition(paths.DATA_DOCS, dt=dt)


def docs_index(dt: str) -> Path:
    return docs_site(dt) / "index.html"


def gx_result_path(source: str, dataset: str, dt: str) -> Path:
    return paths.partition(paths.DQ_REPORTS, dt=dt) / "gx" / f"{source}.{dataset}.json"


def save_gx_result(result: dict, source: str, dataset: str, dt: str, run_id: str) -> Path:
    path = gx_result_path(source, dataset, dt)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"run_id": run_id, "batch": f"{source}.{dataset}.{dt}", "result": result}
    path.write_text(json.dumps(body, sort_keys=True, default=str), encoding="utf-8")
    return path


def clear_gx_result(source: str, dataset: str, dt: str) -> None:
    gx_result_path(source, dataset, dt).unlink(missing_ok=True)


def build_data_docs(dt: str) -> Path | None:
    """Render every saved GX result of ``dt`` into the night's site; returns its index page
    (None when no batch of that date ran GX)."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    saved = sorted((paths.partition(paths.DQ_REPORTS, dt=dt) / "gx").glob("*.json"))
    site = docs_site(dt)
    shutil.rmtree(site, ignore_errors=True)
    if not saved:
        return None
    ctx = context()
    # One site per folder: the process-wide GX context outlives a change of lake root.
    name = f"alliance-{dt}-{hashlib.sha256(str(site).encode()).hexdigest()[:12]}"
    if name not in (ctx.get_config().data_docs_sites or {}):
        ctx.add_data_docs_site(
            site_name=name,
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(site),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    store = ctx.validation_results_store
    keys = []
    for path in saved:
        body = json.loads(path.read_text(encoding="utf-8"))
        result = store.deserialize(json.dumps(body["result"]))
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
            run_id=RunIdentifier(
                run_name=body["run_id"], run_time=result.meta.get("validation_time")
            ),
            batch_identifier=body["batch"],
        )
        store.set(key, result)
        keys.append(key)
    try:
        ctx.build_data_docs(site_names=[name], resource_identifiers=keys)
    finally:
        for key in keys:
            store.remove_key(key)
    return docs_index(dt)
