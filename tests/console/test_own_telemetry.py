"""The console observes itself like the shop: its requests become spans in the real Jaeger
and ECS log lines carrying the same trace id, and no secret reaches the log file."""
from __future__ import annotations

import json
import time

import httpx
import pytest

from console import tracing

pytestmark = pytest.mark.stack


@pytest.fixture
def traced_app(make_app, stack, tmp_path):
    log_file = tmp_path / "console.log"
    app = make_app(OTLP_ENDPOINT=stack.url(stack.ports.jaeger_otlp_http), LOG_FILE=str(log_file))
    yield app, log_file
    tracing.shutdown(app)


def test_it_traces_its_requests_and_logs_them_with_the_trace_id(traced_app, jaeger_url):
    app, log_file = traced_app
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    answer = app.test_client().get("/login", headers={"traceparent": f"00-{caller_trace}-00f067aa0ba902b7-01"})
    assert answer.status_code == 200
    app.extensions[tracing.EXTENSION].force_flush()

    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    access = [line for line in lines if line.get("url", {}).get("path") == "/login"]
    assert access and access[0]["trace"]["id"] == caller_trace
    assert access[0]["service"]["name"] == "opsconsole"

    deadline = time.monotonic() + 20
    spans = []
    while not spans and time.monotonic() < deadline:
        found = httpx.get(f"{jaeger_url}/api/traces/{caller_trace}", timeout=5)
        spans = found.json()["data"][0]["spans"] if found.status_code == 200 and found.json().get("data") else []
        time.sleep(0.3)
    assert [span["operationName"] for span in spans] == ["GET /login"]


def test_it_keeps_tokens_and_query_strings_out_of_its_log(traced_app):
    app, log_file = traced_app
    secret = "osc_notreal_9f8e7d6c5b4a"
    app.test_client().get(f"/api/v1/health?token={secret}", headers={"Authorization": f"Bearer {secret}"})
    text = log_file.read_text()
    assert "/api/v1/health" in text
    assert secret not in text
