"""Notifications carry their evidence, fetched from the real backends: a PNG chart of the alert's expression with
its threshold, the service's failing traces (links that open in the console) and its top error messages."""
from __future__ import annotations

import email
import email.policy
import re
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import quote

import pytest
from elasticsearch import Elasticsearch
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from collectors.logship.template import install_template
from console.alerts import notifier
from console.alerts.evidence import Evidence, expression_of
from console.alerts.notify import compose
from console.backends.jaeger import Jaeger
from kit import eventually, log_in

from alertkit import TOKEN, oncall_settings
from payloads import alert, notification

pytestmark = pytest.mark.stack

EXPRESSION = 'sum by (job) (up) > 0.5'


@pytest.fixture
def failing_service(stack, backend_urls) -> tuple[str, str, str]:
    """A service of its own with one failing trace in Jaeger and two error lines in Elasticsearch; (name, trace id,
    index pattern)."""
    service = f"evidence-{uuid.uuid4().hex[:8]}"
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(
        endpoint=f"{stack.url(stack.ports.jaeger_otlp_http)}/v1/traces")))
    with provider.get_tracer("tests").start_as_current_span("POST /payments/authorize", kind=SpanKind.SERVER) as span:
        span.set_status(Status(StatusCode.ERROR, "card declined"))
    provider.shutdown()
    trace_id = format(span.get_span_context().trace_id, "032x")
    jaeger = Jaeger(backend_urls["JAEGER_URL"], timeout=5)
    eventually(lambda: jaeger.trace(trace_id), timeout=15, what="the failing trace in Jaeger")
    jaeger.close()
    prefix = f"logs-evidence{uuid.uuid4().hex[:8]}"
    now = datetime.now(timezone.utc)
    line = {"@timestamp": now.isoformat(), "log.level": "error", "message": "payment failed",
            "service.name": service, "trace.id": trace_id, "error": {"message": "card declined for evidence"}}
    with Elasticsearch(backend_urls["ELASTICSEARCH_URL"]) as es:
        install_template(es, prefix)
        index = f"{prefix}-{now:%Y.%m.%d}"
        assert not es.bulk(operations=[{"index": {"_index": index}}, line] * 2, refresh=True)["errors"]
    return service, trace_id, f"{prefix}-*"


def test_it_mails_the_chart_the_failing_traces_and_the_top_errors(make_console, smtp, chat, backend_urls,
                                                                   failing_service):
    service, trace_id, logs_index = failing_service
    app = make_console(**oncall_settings(smtp, chat), **backend_urls, LOGS_INDEX=logs_index)
    firing = alert("e1", service=service)
    firing["generatorURL"] = f"{backend_urls['PROMETHEUS_URL']}/graph?g0.expr={quote(EXPRESSION)}&g0.tab=1"
    answer = app.test_client().post("/api/v1/alertmanager/webhook", json=notification(firing),
                                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and notifier(app).wait_idle(30)
    inbox, _ = smtp
    mail = email.message_from_string(inbox.messages[0].text, policy=email.policy.default)
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    [chart] = [part for part in mail.iter_attachments() if part.get_content_type() == "image/png"]
    assert chart.get_filename() == "alert-chart.png" and chart.get_content()[:4] == b"\x89PNG"
    assert f"Chart of {EXPRESSION} over the last hour: attached" in text
    assert re.search(rf"Failing traces:\n- POST /payments/authorize \(\d+ ms\) http://console\.test/traces/{trace_id}",
                     text), text
    assert "Top errors:\n- 2 x card declined for evidence" in text
    assert "Not found" not in text
    # the chat post has the same evidence as links and lines (no attachment)
    assert f"http://console.test/traces/{trace_id}" in chat.posts[0]["text"]
    # and the trace link opens in the console
    page = log_in(app).get(f"/traces/{trace_id}")
    assert page.status_code == 200 and "POST /payments/authorize" in page.get_data(as_text=True)


def test_it_names_what_it_could_not_fetch_and_sends_anyway(make_console, smtp, chat, closed_url):
    app = make_console(**oncall_settings(smtp, chat), PROMETHEUS_URL=closed_url, JAEGER_URL=closed_url,
                       ELASTICSEARCH_URL=closed_url)
    firing = alert("e2")
    firing["generatorURL"] = f"{closed_url}/graph?g0.expr={quote(EXPRESSION)}"
    started = time.monotonic()
    app.test_client().post("/api/v1/alertmanager/webhook", json=notification(firing),
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert notifier(app).wait_idle(30)
    inbox, _ = smtp
    text = inbox.messages[0].text.replace("=\r\n", "")
    assert "Not found: chart:" in text and "traces:" in text and "errors:" in text
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("url, expression", [
    ("http://prom:9090/graph?g0.expr=sum%28up%29+%3E+0.5&g0.tab=1", "sum(up) > 0.5"),
    ("http://prom:9090/graph?g0.tab=1", None),
    ("", None),
])
def test_it_reads_the_expression_from_the_generator_url(url, expression):
    assert expression_of(url) == expression


def test_it_leaves_the_evidence_out_when_there_is_none():
    from console.alerts.models import Incident

    incident = Incident(id=3, status="open", severity="page", service="payments", summary="down", alerts=[])
    assert "Failing traces" not in compose(incident).text
    shown = compose(incident, evidence=Evidence(missing=["traces: jaeger down"])).text
    assert "Not found: traces: jaeger down" in shown and compose(incident).attachments == ()
