"""The Airflow UI in a real browser: api-server + dag-processor on loopback with the project's
DAGs and plugins, Debian's headless Chromium driven over the DevTools protocol.

Logs in through the simple auth manager's login form (user ``engineer``, generated password),
then checks the DAG list, a DAG's docs, the data-quality page and a delivery's data docs, beside
the same facts read from the REST API with a JWT. Screenshots go to the test's tmp folder; the
DAG list is copied to bench/results/ui-dags.png.

Chromium: ``apt-get install -y chromium``. Outside CI a missing browser skips this test; in CI
(CI=true) it fails.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

import aiohttp
import pytest
import requests

from alliance_pipeline.links import docs_page, docs_url, validate_link
from alliance_pipeline.local.airflow_home import migrate_metadata_db
from alliance_pipeline.local.ui import password_file, serve, ui_environ
from alliance_pipeline.settings import PROJECT_ROOT
from tests.fixtures.ports import free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]

DAG_IDS = {"alliance_nightly", "alliance_monthly_close", "alliance_key_rotation"}
NIGHTLY_DOC_PHRASE = "The night's partner data work"
USER = "engineer"
DT, SOURCE, DATASET = "2026-11-23", "moonbay", "orders"
RUN_ID = "manual__2026-11-24T02:30:00+00:00"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
    "--remote-debugging-port=0",
]


def chromium_binary() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    reason = "Debian's chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + ": CI must install it")
    pytest.skip(reason)


def write_dq_report() -> None:
    """A real validation result and the night's GX data docs site, made by the validation
    package's own functions (one expectation fails on one row)."""
    import great_expectations as gx
    import pandas as pd

    from alliance_pipeline.validation import build_data_docs
    from alliance_pipeline.validation.docs import save_gx_result
    from alliance_pipeline.validation.gx_run import run_suite
    from alliance_pipeline.validation.results import BatchResult, save_result

    rule = gx.expectations.ExpectColumnValuesToNotBeNull(
        column="order_id", meta={"rule": "not_null:order_id", "severity": "row"}
    )
    suite = gx.ExpectationSuite(name="alliance.orders", expectations=[rule])
    _, gx_result = run_suite(pd.DataFrame({"order_id": ["o1", "o2", None]}), suite, {})
    save_gx_result(gx_result, SOURCE, DATASET, DT, RUN_ID)
    assert build_data_docs(DT) is not None
    save_result(
        BatchResult(
            run_id=RUN_ID,
            source=SOURCE,
            dataset=DATASET,
            dt=DT,
            rows_in=3,
            rows_passed=2,
            rows_quarantined=1,
            batch_rejected=False,
        )
    )


class Page:
    """One Chromium tab over the DevTools protocol (aiohttp websocket client)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse):
        self.ws, self.ids = ws, itertools.count(1)

    async def send(self, method: str, **params):
        msg_id = next(self.ids)
        await self.ws.send_json({"id": msg_id, "method": method, "params": params})
        async for msg in self.ws:
            body = json.loads(msg.data)
            if body.get("id") == msg_id:
                if "error" in body:
                    raise RuntimeError(f"{method}: {body['error']}")
                return body.get("result", {})
        raise RuntimeError("DevTools connection closed")

    async def js(self, expression: str):
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def wait_for(self, expression: str, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = await self.js(expression)
            if value:
                return value
            await asyncio.sleep(0.5)
        text = await self.js("document.body ? document.body.innerText.slice(0, 2000) : ''")
        raise AssertionError(f"timed out waiting for {expression!r}; page shows:\n{text}")

    async def screenshot(self, path: Path) -> Path:
        shot = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


async def browse(chromium: str, profile: Path, base: str, password: str, shots: Path) -> dict:
    proc = subprocess.Popen(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            await asyncio.sleep(0.2)
        devtools = int(port_file.read_text().split()[0])
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{devtools}/json/list") as resp:
                tab = next(t for t in await resp.json() if t["type"] == "page")
            async with http.ws_connect(tab["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                return await _walk(Page(ws), base, password, shots)
    finally:
        proc.terminate()
        proc.wait(20)


async def _walk(page: Page, base: str, password: str, shots: Path) -> dict:
    seen: dict = {}
    await page.send("Page.enable")
    # 1. Log in through the form the UI redirects to.
    await page.goto(f"{base}/dags")
    await page.wait_for("!!document.querySelector('input[type=password]')")
    seen["login_url"] = await page.js("location.pathname")
    for selector, text in (
        ("input:not([type=password])", USER),
        ("input[type=password]", password),
    ):
        await page.js(f"document.querySelector('{selector}').focus()")
        await page.send("Input.insertText", text=text)
    await page.js("document.querySelector('button[type=submit]').click()")
    # 2. The DAG list.
    await page.wait_for(
        " && ".join(f"document.body.innerText.includes('{d}')" for d in sorted(DAG_IDS)), 120
    )
    seen["dags_url"] = await page.js("location.pathname")
    seen["dags_png"] = await page.screenshot(shots / "ui-dags.png")
    # 3. A DAG's docs (doc_md) behind the "Dag Docs" button.
    await page.goto(f"{base}/dags/alliance_nightly")
    await page.wait_for("!!document.querySelector('[aria-label=\"Dag Docs\"]')")
    await page.js("document.querySelector('[aria-label=\"Dag Docs\"]').click()")
    await page.wait_for(f"document.body.innerText.includes({json.dumps(NIGHTLY_DOC_PHRASE)})")
    seen["docs_png"] = await page.screenshot(shots / "ui-dag-docs.png")
    # 4. The data-quality page, inside the UI (an iframe under /plugin/data-quality).
    await page.goto(f"{base}/plugin/data-quality")
    frame_text = (
        "(() => { const f = document.querySelector('iframe');"
        " return f && f.contentDocument && f.contentDocument.body"
        " ? f.contentDocument.body.innerText : ''; })()"
    )
    await page.wait_for(f"{frame_text}.includes('Night {DT}')")
    seen["dq_text"] = await page.js(frame_text)
    seen["dq_png"] = await page.screenshot(shots / "ui-data-quality.png")
    # 5. The delivery's GX data docs, following the page's link.
    link = await page.js(
        "document.querySelector('iframe').contentDocument"
        f".querySelector('a[href*=\"{SOURCE}.{DATASET}.{DT}\"]').href"
    )
    await page.goto(link)
    await page.wait_for("document.body.innerText.includes('Expectation Validation Result')")
    seen["gx_text"] = await page.js("document.body.innerText")
    seen["gx_png"] = await page.screenshot(shots / "ui-data-docs.png")
    return seen


def api_token(base: str, password: str) -> str:
    resp = requests.post(
        f"{base}/auth/token", json={"username": USER, "password": password}, timeout=30
    )
    resp.raise_for_status()
    return resp.json()["access_token"]


def wait_for_dags(base: str, token: str, timeout: float = 120.0) -> set[str]:
    deadline = time.monotonic() + timeout
    while True:
        resp = requests.get(
            f"{base}/api/v2/dags", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        resp.raise_for_status()
        found = {d["dag_id"] for d in resp.json()["dags"]}
        if found >= DAG_IDS or time.monotonic() > deadline:
            return found
        time.sleep(2)


def test_ui_login_dags_docs_and_data_quality(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    chromium = chromium_binary()
    started = time.monotonic()
    home = tmp_path / "home"
    monkeypatch.setenv("ALLIANCE_LAKE_ROOT", str(home / "lake"))
    write_dq_report()
    env = ui_environ(home, login_user=USER)
    migrate_metadata_db(env)
    with serve(env, free_port(), ("api-server", "dag-processor")) as base:
        password = json.loads(Path(password_file(env)).read_text())[USER]
        token = api_token(base, password)
        auth = {"Authorization": f"Bearer {token}"}

        assert wait_for_dags(base, token) >= DAG_IDS
        dag = requests.get(f"{base}/api/v2/dags/alliance_nightly/details", headers=auth, timeout=30)
        assert NIGHTLY_DOC_PHRASE in dag.json()["doc_md"]
        plugins = requests.get(f"{base}/api/v2/plugins", headers=auth, timeout=30).json()
        ours = next(p for p in plugins["plugins"] if p["name"] == "alliance_data_quality")
        assert ours["global_operator_extra_links"] and ours["external_views"][0]["url_route"]
        assert requests.get(f"{base}/alliance-dq/", timeout=30).status_code == 401
        page = docs_page(DT, SOURCE, DATASET)
        served = requests.get(base + docs_url(page), headers=auth, timeout=30)
        assert served.status_code == 200 and "order_id" in served.text
        escape = f"{base}/alliance-dq/docs/dt={DT}/..%2f..%2f..%2fairflow/airflow.cfg"
        assert requests.get(escape, headers=auth, timeout=30).status_code == 404

        # Chromium may still be writing its profile as it exits: cleanup errors are not failures.
        with tempfile.TemporaryDirectory(
            prefix="alliance-chromium-", ignore_cleanup_errors=True
        ) as profile:
            seen = asyncio.run(browse(chromium, Path(profile), base, password, tmp_path))

    assert seen["login_url"].startswith("/auth/login")
    assert not seen["dags_url"].startswith("/auth")
    assert f"{SOURCE}" in seen["dq_text"] and "data docs" in seen["dq_text"]
    assert "Expectation Validation Result" in seen["gx_text"] and "order_id" in seen["gx_text"]
    for key in ("dags_png", "docs_png", "dq_png", "gx_png"):
        assert seen[key].stat().st_size > 10_000, key
    results = PROJECT_ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(seen["dags_png"], results / "ui-dags.png")
    print(f"UI test: {time.monotonic() - started:.0f}s; screenshots in {tmp_path}")


def test_data_quality_link_only_for_validate_tasks(tmp_path, monkeypatch):
    monkeypatch.setenv("ALLIANCE_LAKE_ROOT", str(tmp_path))
    site = tmp_path / "reports" / "data_docs" / f"dt={DT}"
    label = f"{SOURCE}/{DATASET}"
    assert validate_link("alliance_nightly", "facts.validate", DT, label) == ""  # no docs yet
    site.mkdir(parents=True)
    (site / "index.html").write_text("<html></html>")
    link = validate_link("alliance_nightly", "facts.validate", DT, label)
    assert link.endswith(f"/alliance-dq/docs/dt={DT}/index.html")
    page = site / "validations" / "alliance.orders" / RUN_ID / "t" / f"{SOURCE}.{DATASET}.{DT}.html"
    page.parent.mkdir(parents=True)
    page.write_text("<html></html>")
    link = validate_link("alliance_nightly", "facts.validate", DT, label)
    assert urllib.parse.unquote(link).endswith(page.relative_to(site.parent).as_posix())
    assert validate_link("alliance_nightly", "facts.ingest", DT, label) == ""
    assert validate_link("alliance_monthly_close", "x.validate", DT, label) == ""
    assert validate_link("alliance_nightly", "facts.validate", DT, None) == ""
