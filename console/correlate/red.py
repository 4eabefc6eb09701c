"""RED (rate, errors, duration) per service or per route: the PromQL, and pure assembly of the answers.

Label values reach PromQL only through ``escape_label_value``; grouping labels come from a fixed set.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from console.backends.prometheus import Sample, escape_label_value
from console.correlate.fetch import Fetched

REQUESTS = "http_requests_total"
DURATION = "http_request_duration_seconds_bucket"
QUANTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
GROUPS = ("service", "route", "replica")
SHOP_JOB = "shop"
SHOP = f'job="{SHOP_JOB}"'
ERRORS = 'status=~"5.."'
# 502/503/504 say "a service I called failed" (RFC 9110 gateway statuses, and what the shop answers when a
# peer fails or is unreachable), so they are left out of a service's own errors
OWN_ERRORS = (ERRORS, 'status!~"50[234]"')
PART = "red_part"  # the label naming each part of a folded query's answer


@dataclass(frozen=True)
class Red:
    """Requests per second, the share of 5xx answers (all; and its own, not a peer's) and latency (seconds)."""

    name: str
    rate: float | None
    error_ratio: float | None
    own_error_ratio: float | None
    p50: float | None
    p95: float | None
    p99: float | None
    replicas: int | None = None

    @property
    def failing(self) -> bool:
        """Whether any request failed in the window."""
        return bool(self.error_ratio)


def selector(service: str | None = None, *matchers: str) -> str:
    """A selector body such as ``service="payments",status=~"5.."``: ``service`` escaped, ``matchers`` fixed text."""
    pairs = [f'service="{escape_label_value(service)}"'] if service else []
    return ",".join([*pairs, *matchers])


def red_queries(range_s: int, *, service: str | None = None, by: str = "service", offset_ms: int = 0) -> dict[str, str]:
    """The instant queries of RED over the last ``range_s`` seconds, grouped ``by`` one label of ``GROUPS``;
    with ``offset_ms``, over the ``range_s`` seconds that ended that long before the evaluation time."""
    if by not in GROUPS:
        raise ValueError(f"cannot group by {by!r}")
    if offset_ms < 0:
        raise ValueError(f"a negative offset looks ahead: {offset_ms} ms")
    offset = f" offset {offset_ms}ms" if offset_ms else ""
    every = selector(service)
    rate = f"sum by ({by}) (rate({REQUESTS}{{{every}}}[{range_s}s]{offset}))"
    queries = {"rate": rate}
    for key, matchers in (("error_ratio", (ERRORS,)), ("own_error_ratio", OWN_ERRORS)):
        # "or 0 * rate": a service with no error series at all still gets a ratio of 0
        errors = f"sum by ({by}) (rate({REQUESTS}{{{selector(service, *matchers)}}}[{range_s}s]{offset}))"
        queries[key] = f"({errors} or 0 * {rate}) / {rate}"
    for key, q in QUANTILES.items():
        queries[key] = (f"histogram_quantile({q}, sum by ({by}, le) "
                        f"(rate({DURATION}{{{every}}}[{range_s}s]{offset})))")
    if by == "service":
        queries["replicas"] = f'count by (service) (up{{{selector(service, SHOP)}}}{offset})'
    return queries


def folded(queries: dict[str, str]) -> str:
    """Named instant queries as one: each answer labelled ``PART=<its name>`` by ``label_replace``, so that a
    single request returns them all (``or`` keeps every one: no two share a label set). Names must be fixed
    text, never user input; the grouping labels of ``GROUPS`` never clash with ``PART``."""
    for name in queries:
        if not re.fullmatch(r"[a-z_:0-9]+", name):
            raise ValueError(f"not a part name: {name!r}")
    return " or ".join(f'label_replace({q}, "{PART}", "{name}", "", "")' for name, q in queries.items())


def unfolded(samples: list[Sample], names: Iterable[str]) -> dict[str, list[Sample]]:
    """The answer of ``folded`` queries split back by name, each sample without the ``PART`` label; a part
    with no sample (no traffic) is an empty list."""
    parts: dict[str, list[Sample]] = {name: [] for name in names}
    for sample in samples:
        labels = dict(sample.labels)
        name = labels.pop(PART, None)
        if name in parts:
            parts[name].append(Sample(labels, sample.time, sample.value))
    return parts


def _number(value: float) -> float | None:
    # 0/0 (no traffic) and +Inf (no bucket) say "unknown", not a figure to show
    return None if math.isnan(value) or math.isinf(value) else value


def assemble_red(answers: dict[str, list[Sample]], *, by: str = "service") -> list[Red]:
    """One ``Red`` per value of ``by`` seen in any answer, sorted by name; missing figures are None."""
    values: dict[str, dict[str, float | None]] = {}
    for key, samples in answers.items():
        for sample in samples:
            name = sample.labels.get(by)
            if name is not None:
                values.setdefault(name, {})[key] = _number(sample.value)
    rows = []
    for name in sorted(values):
        got = values[name]
        replicas = got.get("replicas")
        rows.append(Red(name=name, rate=got.get("rate"), error_ratio=got.get("error_ratio"),
                        own_error_ratio=got.get("own_error_ratio"), p50=got.get("p50"),
                        p95=got.get("p95"), p99=got.get("p99"),
                        replicas=int(replicas) if replicas is not None else None))
    return rows


def red_rows(fetched: dict[str, Fetched], *, prefix: str = "now", by: str = "service") -> tuple[list[Red], str | None]:
    """The rows of the outcomes named ``<prefix>:<metric>``, or the first error among them."""
    parts = {name.split(":", 1)[1]: f for name, f in fetched.items() if name.startswith(prefix + ":")}
    failed = next((f.error for f in parts.values() if not f.ok), None)
    if failed:
        return [], failed
    return assemble_red({key: f.value for key, f in parts.items()}, by=by), None


def worst_first(rows: Iterable[Red]) -> list[Red]:
    """Rows ordered by their own error ratio, then all errors, then p99 latency, highest first; ties by name.

    A failing service's callers fail too (with 502s); ranking by own errors puts the cause above them.
    """
    return sorted(rows, key=lambda r: (-(r.own_error_ratio or 0.0), -(r.error_ratio or 0.0), -(r.p99 or 0.0),
                                       r.name))


def busiest_first(rows: Iterable[Red]) -> list[Red]:
    """Rows by request rate, highest first; ties by name."""
    return sorted(rows, key=lambda r: (-(r.rate or 0.0), r.name))


def chart_queries(service: str, *, step_s: int) -> dict[str, str]:
    """Range queries for a service's charts: requests/s, errors/s, p50/p95/p99 seconds."""
    # a rate window of at least four steps (and 30 s) so every point spans several scrapes
    window = max(4 * step_s, 30)
    every, errors = selector(service), selector(service, ERRORS)
    queries = {"rate": f"sum(rate({REQUESTS}{{{every}}}[{window}s]))",
               "errors": f"sum(rate({REQUESTS}{{{errors}}}[{window}s]))"}
    for key, q in QUANTILES.items():
        queries[key] = f"histogram_quantile({q}, sum by (le) (rate({DURATION}{{{every}}}[{window}s])))"
    return queries


def sparkline_query(*, step_s: int) -> str:
    """One range query for every service's request rate: the overview's sparklines."""
    return f"sum by (service) (rate({REQUESTS}[{max(4 * step_s, 30)}s]))"


def exemplar_query(service: str) -> str:
    """The series whose exemplars link a service's latency to its traces."""
    return f"{DURATION}{{{selector(service)}}}"


def instances_query(service: str) -> str:
    """Each scraped replica of ``service`` and whether its last scrape worked."""
    return f'up{{{selector(service, SHOP)}}}'
