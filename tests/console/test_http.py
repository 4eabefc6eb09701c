import socket
import time

import pytest

from console.errors import BackendError, BackendUnavailable
from console.http import Client, error_detail, redact_url


@pytest.mark.parametrize(("url", "redacted"), [
    ("http://user:secret@es.example:9200/x", "http://***@es.example:9200/x"),
    ("https://token@prom.example/", "https://***@prom.example/"),
    ("http://127.0.0.1:9090", "http://127.0.0.1:9090"),
], ids=["user and password", "user only", "no credentials"])
def test_it_redacts_credentials_in_urls(url, redacted):
    assert redact_url(url) == redacted


@pytest.mark.parametrize(("body", "detail"), [
    ('{"status":"error","error":"parse error"}', "parse error"),
    ('{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}', "trace not found"),
    ('{"code":400,"message":"bad matcher"}', "bad matcher"),
    ("Not\n  Found", "Not Found"),
    ("", "(empty body)"),
], ids=["prometheus", "jaeger", "alertmanager", "plain text", "empty"])
def test_it_finds_the_detail_of_an_error_body(body, detail):
    assert error_detail(body) == detail


def test_it_raises_unavailable_quickly_on_a_closed_port(closed_port):
    client = Client("prometheus", f"http://user:pw@127.0.0.1:{closed_port}", timeout=5)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as caught:
        client.request("GET", "/-/healthy")
    client.close()
    assert time.monotonic() - started < 1
    assert caught.value.backend == "prometheus"
    assert "pw" not in str(caught.value)


def test_it_raises_unavailable_when_a_peer_never_answers():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts the connection (backlog) but never answers
        client = Client("jaeger", f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.3)
        started = time.monotonic()
        with pytest.raises(BackendUnavailable, match="timed out"):
            client.request("GET", "/api/services")
        client.close()
    assert time.monotonic() - started < 2


def test_it_raises_backend_error_with_the_status(prometheus_url):
    client = Client("prometheus", prometheus_url, timeout=2)
    with pytest.raises(BackendError) as caught:
        client.json("GET", "/api/v1/query", params={"query": "sum("})
    client.close()
    assert caught.value.status == 400
    assert "parse error" in caught.value.detail
    assert not isinstance(caught.value, BackendUnavailable)


def test_it_refuses_a_body_that_is_not_json(prometheus_url):
    client = Client("prometheus", prometheus_url, timeout=2)
    with pytest.raises(BackendError, match="not JSON"):
        client.json("GET", "/-/healthy")
    client.close()
