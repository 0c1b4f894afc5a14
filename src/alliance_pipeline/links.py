"""Data-quality reports in the Airflow UI.

Validation saves a result per delivery and night under ``reports/dq/dt={dt}/`` and builds one
Great Expectations data docs site per night, ``reports/data_docs/dt={dt}/`` (see
alliance_pipeline.validation). This module serves them from Airflow's own api-server:

- ``LazyApp``/``create_app``: a FastAPI app mounted at ``/alliance-dq`` (plugin ``fastapi_apps``):
  ``/`` lists the nights and their deliveries with status and counts, ``/docs/...`` serves the
  data docs files. Both need a signed-in Airflow user (the UI's session cookie or a Bearer token).
- ``DataQualityLink``: a global operator extra link, "Data quality report", shown on the mapped
  ``*.validate`` task instances of ``alliance_nightly``; it opens that delivery's result page.

The api-server reads the lake itself, so it must see the same ``ALLIANCE_LAKE_ROOT`` as the
workers (the same folder locally, a shared volume in docker-compose).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from fastapi import FastAPI

APP_PREFIX = "/alliance-dq"
VIEW_ROUTE = "data-quality"
VALIDATE_TASK_SUFFIX = ".validate"
NIGHTLY_DAG_ID = "alliance_nightly"
NIGHTS_LISTED = 14


def _reports() -> Path:
    from alliance_pipeline.settings import zone

    return zone("reports")


def docs_root() -> Path:
    return _reports() / "data_docs"


def docs_page(dt: str, source: str, dataset: str) -> Path | None:
    """The page to open for one delivery: its validation result page in the night's data docs
    site (validation.docs.build_data_docs names it ``{source}.{dataset}.{dt}.html``; static HTML,
    readable even where the site index's table scripts cannot load from their CDNs), else the
    night's index, else None."""
    from alliance_pipeline.validation.docs import docs_index, docs_site

    pages = sorted(docs_site(dt).glob(f"validations/**/{source}.{dataset}.{dt}.html"))
    if pages:
        return pages[-1]
    return docs_index(dt) if docs_index(dt).is_file() else None


def docs_url(page: Path) -> str:
    """The api-server path that serves a file under ``docs_root()``."""
    from urllib.parse import quote

    relative = page.relative_to(docs_root()).as_posix()
    return f"{_base_path()}{APP_PREFIX}/docs/{quote(relative, safe='/=')}"


def _base_path() -> str:
    from urllib.parse import urlsplit

    from airflow.configuration import conf

    return urlsplit(conf.get("api", "base_url", fallback="") or "/").path.rstrip("/")


def validate_link(dag_id: str, task_id: str, dt: str | None, batch_label: str | None) -> str:
    """The data docs URL of one validate task instance, or "" (no link shown) when the task is
    not a validate task or its docs do not exist yet. ``batch_label`` is the task's rendered map
    index, ``source/dataset`` (see tasks.nightly.batch_label)."""
    if dag_id != NIGHTLY_DAG_ID or not task_id.endswith(VALIDATE_TASK_SUFFIX):
        return ""
    if not dt or not batch_label or batch_label.count("/") != 1:
        return ""
    page = docs_page(dt, *batch_label.split("/"))
    return docs_url(page) if page else ""


class DataQualityLink(BaseOperatorLink):
    """Extra link on every task; resolves to a URL only for ``alliance_nightly``'s validate tasks.

    Global rather than set on the operator because ``@task`` tasks cannot declare
    ``operator_extra_links``; evaluated by the api-server when the task page is shown."""

    name = "Data quality report"

    def get_link(self, operator, *, ti_key) -> str:
        if ti_key.dag_id != NIGHTLY_DAG_ID or not ti_key.task_id.endswith(VALIDATE_TASK_SUFFIX):
            return ""  # no database lookup for the other tasks
        dt, label = _night_and_label(ti_key)
        return validate_link(ti_key.dag_id, ti_key.task_id, dt, label)


def _night_and_label(ti_key) -> tuple[str | None, str | None]:
    """The run's night (as the DAG's ``night`` task computes it) and the task's map label."""
    from airflow.models import DagRun, TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from alliance_pipeline.tasks.nightly import night_date

    with create_session() as session:
        label = session.scalar(
            select(TaskInstance.rendered_map_index).where(
                TaskInstance.dag_id == ti_key.dag_id,
                TaskInstance.run_id == ti_key.run_id,
                TaskInstance.task_id == ti_key.task_id,
                TaskInstance.map_index == ti_key.map_index,
            )
        )
        run = session.scalar(
            select(DagRun).where(DagRun.dag_id == ti_key.dag_id, DagRun.run_id == ti_key.run_id)
        )
        if run is None:
            return None, label
        conf = run.conf or {}
        if not conf.get("date") and run.data_interval_start is None:
            return None, label
        return night_date(run.data_interval_start, conf), label


def night_results(dt: str) -> list[dict[str, Any]]:
    """The saved validation results of one night (reports/dq/dt=…/*.json), as dicts."""
    folder = _reports() / "dq" / f"dt={dt}"
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def nights() -> list[str]:
    """Nights with validation results, newest first."""
    folder = _reports() / "dq"
    found = [p.name.removeprefix("dt=") for p in folder.glob("dt=*") if p.is_dir()]
    return sorted(found, reverse=True)


def render_index(selected: str | None = None) -> str:
    """The data-quality page: one table per night (the newest ``NIGHTS_LISTED``, or ``selected``)."""
    shown = [selected] if selected else nights()[:NIGHTS_LISTED]
    sections = [_night_section(dt) for dt in shown] or [
        "<p>No validation results yet: run the nightly DAG (or <code>make demo</code>).</p>"
    ]
    return _PAGE.format(reports=html.escape(str(_reports())), body="\n".join(sections))


def _night_section(dt: str) -> str:
    rows = []
    for r in night_results(dt):
        state = "rejected" if r["batch_rejected"] else "passed"
        page = docs_page(dt, r["source"], r["dataset"])
        docs = f'<a href="{html.escape(docs_url(page))}">data docs</a>' if page else "no data docs"
        cells = [
            r["source"],
            r["dataset"],
            f'<span class="{state}">{state}</span>',
            f"{r['rows_in']:,}",
            f"{r['rows_passed']:,}",
            f"{r['rows_quarantined']:,}",
            html.escape(", ".join(r.get("failed_critical") or [])) or "–",
            docs,
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (
        f'<h2 id="dt-{html.escape(dt)}">Night {html.escape(dt)}</h2>'
        "<table><tr><th>source</th><th>dataset</th><th>status</th><th>rows in</th>"
        "<th>passed</th><th>quarantined</th><th>failed critical rules</th><th>report</th></tr>"
        + ("".join(rows) or '<tr><td colspan="8">no results</td></tr>')
        + "</table>"
    )


_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>alliance data quality</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #1a202c; }}
table {{ border-collapse: collapse; margin-bottom: 1.5rem; }}
td, th {{ border: 1px solid #cbd5e0; padding: .3rem .6rem; text-align: left; }}
th {{ background: #edf2f7; }} .passed {{ color: #2f855a; }} .rejected {{ color: #c53030; }}
</style></head>
<body><h1>alliance data quality</h1>
<p>Great Expectations results per delivery (source, dataset, night); rejected batches are in
the quarantine zone and <code>mart.quarantine_index</code>. Reports folder: <code>{reports}</code></p>
{body}
</body></html>"""


def create_app() -> FastAPI:
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi import Depends, FastAPI, HTTPException
    from fastapi.responses import FileResponse, HTMLResponse

    app = FastAPI(title="alliance data quality", dependencies=[Depends(get_user)])

    @app.get("/", response_class=HTMLResponse)
    def index(dt: str | None = None) -> str:
        if dt is not None and f"dt={dt}" not in {f"dt={n}" for n in nights()}:
            raise HTTPException(404, f"no validation results for dt={dt}")
        return render_index(dt)

    @app.get("/docs/{path:path}")
    def docs(path: str) -> FileResponse:
        root = docs_root().resolve()
        target = (root / path).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(root) or not target.is_file():
            raise HTTPException(404, "no such data docs file")
        return FileResponse(target)

    return app


class LazyApp:
    """ASGI app that builds ``create_app()`` on its first request, so that the processes that
    load plugins without serving them (scheduler, dag-processor, task runners) skip its imports."""

    def __init__(self) -> None:
        self._app = None

    async def __call__(self, scope, receive, send) -> None:
        if self._app is None:
            self._app = create_app()
        await self._app(scope, receive, send)
