"""On-call: how many alerts a second the webhook takes in (idempotently), and how long from a webhook received
to the email accepted by the SMTP server, with and without the evidence.

1. A console on a fresh SQLite database, served as users run it (``opsconsole serve``: gunicorn, two
   workers of four threads) on loopback, no channels. ``BATCHES`` Alertmanager payloads of ``GROUP``
   alerts each (new groups) from ``WORKERS`` concurrent senders: alerts accepted per second; then the very
   same payloads again (Alertmanager's repeats: nothing changes, nothing is notified). Twice, side by side:
   SQLite committing with synchronous=NORMAL (the default) and with FULL.
2. A console whose only channel is an SMTP server on loopback (aiosmtpd), with a private stack's
   Prometheus, Jaeger and Elasticsearch behind it. ``ROUNDS`` new incidents one at a time: the time from
   the webhook's POST to the SMTP server accepting the mail, with the evidence off and on, alternating.
Goals: at least 2 000 alerts/s; at most 100 ms from webhook to email without the evidence.
"""
from __future__ import annotations

import json
import os
import socket
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import httpx
from aiosmtpd.controller import Controller

from bench.common import percentile, private_stack
from bench.dashboard_console import running_console
from console import create_app
from console.alerts import notifier
from deploy.local.layout import HOST, Layout

GROUP = int(os.environ.get("BENCH_GROUP", "20"))
BATCHES = int(os.environ.get("BENCH_BATCHES", "200"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "8"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
TOKEN = "bench-alertmanager-token"


def payload(group: str, size: int, service: str = "payments", expr: str = "up") -> dict:
    """An Alertmanager notification (version 4) of ``size`` firing alerts in group ``group``."""
    labels = {"alertname": "HighErrorRate", "service": service, "severity": "page"}
    alerts = [{"status": "firing", "labels": {**labels, "instance": f"replica-{n}"},
               "annotations": {"summary": f"{service} fails"}, "startsAt": "2026-12-01T10:00:00Z",
               "endsAt": "0001-01-01T00:00:00Z", "generatorURL": f"http://prometheus/graph?g0.expr={quote(expr)}",
               "fingerprint": f"{group}-{n}"} for n in range(size)]
    return {"version": "4", "groupKey": group, "truncatedAlerts": 0, "status": "firing", "receiver": "opsconsole",
            "groupLabels": {"alertname": "HighErrorRate"}, "commonLabels": labels, "commonAnnotations": {},
            "externalURL": "http://alertmanager", "alerts": alerts}


def ingest() -> None:
    rates = {mode: ingest_rates(mode) for mode in ("NORMAL", "FULL")}
    for label in ("new groups", "repeats"):
        print(f"ingest, {label}: SQLite synchronous=NORMAL (the default) takes {rates['NORMAL'][label]:,.0f} alerts/s,"
              f" FULL {rates['FULL'][label]:,.0f} alerts/s: {rates['NORMAL'][label] / rates['FULL'][label]:.2f}x")


def ingest_rates(synchronous: str) -> dict[str, float]:
    """Alerts a second taken in by a console whose SQLite commits with ``synchronous``: new groups, then repeats."""
    rates = {}
    with tempfile.TemporaryDirectory(prefix="bench-oncall-") as home, \
            running_console(Layout(Path(home)), backend_timeout=2, ALERTMANAGER_TOKEN=TOKEN, LOG_FILE="",
                            OTLP_ENDPOINT="", SQLITE_SYNCHRONOUS=synchronous) as console, \
            httpx.Client(base_url=console.url, timeout=30, headers={"Authorization": f"Bearer {TOKEN}",
                                                                    "Content-Type": "application/json"}) as http:
        def send(body: bytes):
            answer = http.post("/api/v1/alertmanager/webhook", content=body)
            assert answer.status_code == 200, answer.text
            return answer.json()["changed"]

        # encoded ahead: the sender's JSON encoding is Alertmanager's work, not the console's
        bodies = [json.dumps(payload(f"bench-{uuid.uuid4().hex}", GROUP)).encode() for _ in range(BATCHES + 1)]
        send(bodies.pop())  # untimed: opens the database and the connection
        for label in ("new groups", "repeats"):
            started = time.perf_counter()
            with ThreadPoolExecutor(WORKERS) as pool:
                changed = list(pool.map(send, bodies))
            took = time.perf_counter() - started
            rates[label] = BATCHES * GROUP / took
            print(f"ingest ({synchronous}), {label}: {BATCHES} payloads of {GROUP} alerts from {WORKERS} senders in"
                  f" {took:.2f} s: {rates[label]:,.0f} alerts/s, {BATCHES / took:,.0f} payloads/s"
                  f" ({sum(changed)} changed an incident)")
    return rates


class Inbox:
    def __init__(self):
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server, session, envelope):
        text = envelope.content.decode("utf-8", "replace")
        marker = next((w for w in text.split() if w.startswith("bench-")), None)
        if marker:
            self.arrived.setdefault(marker.rstrip(".,:)"), time.perf_counter())
        return "250 OK"


def notify_latency() -> None:
    inbox = Inbox()
    with socket.socket() as probe:  # aiosmtpd needs the port up front
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    smtp = Controller(inbox, hostname=HOST, port=port)
    smtp.start()
    try:
        with private_stack(scrape_interval="2s") as (layout, ports), tempfile.TemporaryDirectory() as home:
            backends = {"PROMETHEUS_URL": f"http://{HOST}:{ports.prometheus}",
                        "JAEGER_URL": f"http://{HOST}:{ports.jaeger_query}",
                        "ELASTICSEARCH_URL": f"http://{HOST}:{ports.elasticsearch}"}
            apps = {flag: create_app({"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{home}/{flag}.db",
                                      "ALERTMANAGER_TOKEN": TOKEN, "SMTP_HOST": HOST, "SMTP_PORT": smtp.port,
                                      "SMTP_FROM": "opsconsole@bench.test", "SMTP_TO": "oncall@bench.test",
                                      "PUBLIC_URL": "http://console.bench", "NOTIFY_EVIDENCE": flag,
                                      "LOG_FILE": "", "OTLP_ENDPOINT": "", **backends})
                    for flag in (False, True)}
            times: dict[bool, list[float]] = {False: [], True: []}
            for n in range(ROUNDS + 1):
                for flag, app in apps.items():
                    group = f"bench-{uuid.uuid4().hex}"
                    body = payload(group, 1, expr='sum by (job) (up) > 0.5')
                    body["commonAnnotations"] = {"summary": group}
                    body["alerts"][0]["annotations"] = {"summary": group}
                    client = app.test_client()
                    started = time.perf_counter()
                    assert client.post("/api/v1/alertmanager/webhook", json=body,
                                       headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
                    deadline = time.monotonic() + 30
                    while group not in inbox.arrived and time.monotonic() < deadline:
                        time.sleep(0.001)
                    if n:  # the first round of each warms imports (matplotlib) and connections
                        times[flag].append((inbox.arrived[group] - started) * 1000)
            for app in apps.values():
                notifier(app).shutdown()
    finally:
        smtp.stop()
    for flag, label in ((False, "without evidence"), (True, "with evidence (chart, traces, errors)")):
        values = sorted(times[flag])
        print(f"webhook -> email accepted, {label}: p50 {percentile(values, 50):.0f} ms, "
              f"p95 {percentile(values, 95):.0f} ms over {len(values)} incidents")
    print(f"the evidence adds {statistics.median(times[True]) - statistics.median(times[False]):.0f} ms at the median")


def main() -> None:
    ingest()
    notify_latency()


if __name__ == "__main__":
    main()
