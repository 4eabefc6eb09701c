"""Traces shaped like the shop's, made up from a seed (pure: the random source and the window are arguments).

A trace follows one of the shop's request paths (a product page, the product list, a checkout)
through gateway, catalog, orders, inventory and payments: server spans, the client spans of the
calls between services and a few internal ones, children inside their parent's time. Some
checkouts fail in payments; the failure climbs back up as HTTP 502s, as in the shop.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

SERVICES = ("gateway", "catalog", "orders", "inventory", "payments")
REPLICAS = 2  # each service's spans and lines come from <service>-1 or <service>-2
MS = 1_000_000  # nanoseconds

# OTLP span kinds
INTERNAL, SERVER, CLIENT = 1, 2, 3

# what payments answers when it fails, and how often each (checkouts fail in payments 1 time in 12)
PAYMENT_ERRORS = (("CardDeclined", "card declined by issuer"), ("CardDeclined", "card declined by issuer"),
                  ("ProviderTimeout", "payment provider did not answer within 2s"),
                  ("FraudSuspected", "payment held for review"))
PAYMENT_FAILURE = 1 / 12


@dataclass(frozen=True, slots=True)
class Step:
    """One span of a request path: who, what, its own time in ms (median) and the calls it makes in turn."""

    service: str
    kind: int
    name: str
    own_ms: float
    calls: tuple[Step, ...] = ()
    path: str = ""  # the URL path a server span answered, for its access log line
    fails: bool = False  # where a failed checkout breaks


def _call(caller: str, peer: str, method: str, route: str, path: str, own_ms: float, *calls: Step,
          fails: bool = False) -> Step:
    """A client span of ``caller`` around the server span of ``peer``."""
    server = Step(peer, SERVER, f"{method} {route}", own_ms, calls, path, fails)
    return Step(caller, CLIENT, f"{method} {peer}", 0.4, (server,))


def _cache(service: str, key: str) -> Step:
    return Step(service, INTERNAL, f"redis GET {key}", 0.3)


PRODUCT = Step("gateway", SERVER, "GET /api/products/<int:product_id>", 1.0, (
    _call("gateway", "catalog", "GET", "/products/<int:product_id>", "/products/{product}", 1.5,
          _cache("catalog", "catalog:product"), Step("catalog", INTERNAL, "load product", 2.0)),
), "/api/products/{product}")
PRODUCTS = Step("gateway", SERVER, "GET /api/products", 1.0, (
    _call("gateway", "catalog", "GET", "/products", "/products", 2.0,
          _cache("catalog", "catalog:products"), Step("catalog", INTERNAL, "load products", 6.0),
          Step("catalog", INTERNAL, "redis SET catalog:products", 0.3)),
), "/api/products")
CHECKOUT = Step("gateway", SERVER, "POST /api/checkout", 1.5, (
    _call("gateway", "orders", "POST", "/orders", "/orders", 3.0,
          _call("orders", "inventory", "POST", "/reservations", "/reservations", 4.0),
          _call("orders", "payments", "POST", "/payments/authorize", "/payments/authorize", 25.0, fails=True)),
), "/api/checkout")
# the mix of the load generator: mostly browsing, a third checkouts (5, 6 and 7 spans)
PATHS = ((PRODUCT, 0.5), (PRODUCTS, 0.15), (CHECKOUT, 0.35))


@dataclass(frozen=True, slots=True)
class Span:
    """One made-up span; ``error`` is ``(type, message)`` where it failed itself, ``status`` its HTTP answer."""

    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    node: str
    kind: int
    name: str
    start_ns: int
    end_ns: int
    status: int | None = None
    path: str | None = None
    error: tuple[str, str] | None = None
    failed: bool = False  # its status is ERROR: it failed, or a call it made did


def spans_per_trace() -> float:
    """The mean number of spans of a made-up trace."""
    return sum(_count(step) * share for step, share in PATHS)


def _count(step: Step) -> int:
    return 1 + sum(_count(c) for c in step.calls)


def make_traces(rng: random.Random, *, spans: int, start_ns: int, end_ns: int) -> Iterator[list[Span]]:
    """Whole traces, oldest first, until about ``spans`` spans (never more) starting between ``start_ns`` and
    ``end_ns`` (their ends may pass it by a few hundred ms)."""
    count = int(spans / spans_per_trace())
    starts = sorted(rng.randrange(start_ns, end_ns) for _ in range(count))
    made = 0
    for at in starts:
        step = rng.choices([p for p, _ in PATHS], [w for _, w in PATHS])[0]
        if made + _count(step) > spans:
            return
        trace = _trace(rng, step, at)
        made += len(trace)
        yield trace


def _trace(rng: random.Random, root: Step, start_ns: int) -> list[Span]:
    trace_id = format(rng.getrandbits(128) or 1, "032x")
    product = rng.randint(1, 50)
    failure = rng.choice(PAYMENT_ERRORS) if root is CHECKOUT and rng.random() < PAYMENT_FAILURE else None
    nodes = {s: f"{s}-{rng.randint(1, REPLICAS)}" for s in SERVICES}
    out: list[Span] = []
    _span(rng, root, trace_id, None, start_ns, nodes, product, failure, out)
    out.sort(key=lambda s: s.start_ns)
    return out


def _span(rng: random.Random, step: Step, trace_id: str, parent: str | None, start_ns: int, nodes: dict[str, str],
          product: int, failure: tuple[str, str] | None, out: list[Span]) -> tuple[int, bool]:
    """Append ``step``'s span and its children's to ``out``; return its end and whether it failed."""
    span_id = format(rng.getrandbits(64) or 1, "016x")
    # log-normal own times: most requests near the median, a long tail of slow ones
    own = int(step.own_ms * MS * rng.lognormvariate(0, 0.6))
    at = start_ns + own // 2
    failed = False
    for call in step.calls:
        if failed:
            break  # a failed call ends the request: the shop answers 502 without making the next one
        at, failed = _span(rng, call, trace_id, span_id, at + int(0.2 * MS), nodes, product, failure, out)
    error = failure if step.fails and failure else None
    failed = failed or error is not None
    end = at + own - own // 2
    status = None
    if step.kind == SERVER:
        status = 500 if error else 502 if failed else 201 if step.name.startswith("POST") else 200
    elif step.kind == CLIENT and failed:
        status = 500 if step.calls[0].fails else 502
    out.append(Span(trace_id, span_id, parent, step.service, nodes[step.service], step.kind, step.name, start_ns,
                    end, status, step.path.format(product=product) if step.path else None, error, failed))
    return end, failed
