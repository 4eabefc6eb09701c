"""Made-up shop telemetry for demos and benchmarks: traces (``shapes``), their log lines and OTLP
requests (``documents``), sent to Jaeger and Elasticsearch (``load``)."""
from __future__ import annotations

from sample_services.seed.documents import iso, otlp_request, span_lines
from sample_services.seed.load import Seeded, SeedTimeout, seed
from sample_services.seed.shapes import SERVICES, Span, make_traces

__all__ = ["SERVICES", "SeedTimeout", "Seeded", "Span", "iso", "make_traces", "otlp_request", "seed", "span_lines"]
