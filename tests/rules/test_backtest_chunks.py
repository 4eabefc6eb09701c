"""A window longer than one range query: asked of the real Prometheus chunk by chunk and joined, it gives what one
query gives."""
from __future__ import annotations

import time

import pytest

from console.backends.prometheus import Prometheus
from console.rules.backtest import query_range_chunked

pytestmark = pytest.mark.stack


@pytest.fixture
def prometheus(prometheus_url):
    backend = Prometheus(prometheus_url, timeout=5)
    yield backend
    backend.close()


def test_it_joins_chunks_into_the_series_one_query_gives(prometheus):
    end = time.time() - 5
    start = end - 60
    whole = prometheus.query_range("up", start, end, 2)
    chunked = query_range_chunked(prometheus, "up", start, end, 2, max_points=7)  # 31 points: 5 chunks
    assert whole and {tuple(sorted(s.labels.items())): s.points for s in chunked} == \
        {tuple(sorted(s.labels.items())): s.points for s in whole}
