"""Fixtures for the collector tests: a client of the suite's Elasticsearch, a unique index prefix, a config writer."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml
from elasticsearch import Elasticsearch


@pytest.fixture
def es(elasticsearch_url):
    """A client of the Elasticsearch under test."""
    client = Elasticsearch(elasticsearch_url, request_timeout=30)
    yield client
    client.close()


@pytest.fixture
def index_prefix(es):
    """A prefix of this test's own (still under ``logs-opsconsole-*``, so our template applies); its indices are deleted after."""
    prefix = f"logs-opsconsole-test{uuid.uuid4().hex[:12]}"
    yield prefix
    names = list(es.indices.get(index=f"{prefix}-*", expand_wildcards="all").body)
    if names:  # wildcard deletes are refused by default (action.destructive_requires_name)
        es.indices.delete(index=",".join(names))


@pytest.fixture
def write_config(tmp_path, elasticsearch_url, index_prefix):
    """Write a shipper config for ``tmp_path/logs/*.log`` with overrides; returns its path."""

    def write(**overrides) -> Path:
        config = {
            "paths": [str(tmp_path / "logs" / "*.log")],
            "elasticsearch": {"url": elasticsearch_url},
            "index_prefix": index_prefix,
            "checkpoint_dir": str(tmp_path / "checkpoints"),
            "dead_letter_path": str(tmp_path / "dead-letter.ndjson"),
            "batch": {"max_lines": 200, "max_bytes": 1 << 20, "max_age_seconds": 0.2},
            "max_in_flight_bytes": 4 << 20,
            "poll_interval_seconds": 0.05,
            "metrics": {"listen": "127.0.0.1:0"},
        }
        config.update(overrides)
        path = tmp_path / "logship.yml"
        path.write_text(yaml.safe_dump(config))
        return path

    (tmp_path / "logs").mkdir()
    return write
