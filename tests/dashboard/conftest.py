"""Fixtures for the dashboard: canned backend answers, and apps with a logged-in viewer."""
from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture
def fixture_json():
    """Load a canned backend answer from ``tests/fixtures``."""
    return lambda name: json.loads((FIXTURES / name).read_text())


@pytest.fixture
def make_app(make_app):
    """The suite's app builder, with a little more time for the backends a page fans out to."""
    return functools.partial(make_app, BACKEND_TIMEOUT=3)


@pytest.fixture(scope="module")
def seeded(stack):
    """A known trace in Jaeger and its log lines in Elasticsearch (under an index of their own)."""
    from dashkit import seed, wait_for_trace

    data = seed(f"{stack.url(stack.ports.jaeger_otlp_http)}/v1/traces", stack.elasticsearch_url)
    wait_for_trace(stack.jaeger_url, data.trace_id, len(data.spans))
    return data
