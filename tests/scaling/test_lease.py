"""Leader election: the pure rule, and the lease row on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.scaling.lease import Lease, acquire, holder_of, may_act, release
from console.store import create_store_engine, migrate

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)
TTL = timedelta(seconds=22.5)


@pytest.mark.parametrize("lease, holder, now, expected", [
    (None, "a", T0, True),
    (Lease("a", T0 + TTL), "a", T0, True),
    (Lease("a", T0 - TTL), "a", T0, True),
    (Lease("b", T0 + timedelta(seconds=1)), "a", T0, False),
    (Lease("b", T0), "a", T0, True),
    (Lease("b", T0 - timedelta(seconds=1)), "a", T0, True),
], ids=["nobody holds it", "own lease renewed", "own expired lease", "another's unexpired lease",
        "another's lease expiring now", "another's expired lease"])
def test_it_decides_who_may_act(lease, holder, now, expected):
    assert may_act(lease, holder, now) is expected


@pytest.fixture
def engine(database_url):
    engine = create_store_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def test_it_gives_the_lease_to_one_holder_until_it_expires(engine):
    assert acquire(engine, "a", T0, TTL)
    assert not acquire(engine, "b", T0 + timedelta(seconds=1), TTL)
    assert acquire(engine, "a", T0 + timedelta(seconds=7.5), TTL)  # renewed: now until T0 + 30 s
    assert not acquire(engine, "b", T0 + timedelta(seconds=29), TTL)
    assert holder_of(engine) == Lease("a", T0 + timedelta(seconds=30))
    assert acquire(engine, "b", T0 + timedelta(seconds=30), TTL)
    assert not acquire(engine, "a", T0 + timedelta(seconds=31), TTL)
    assert holder_of(engine).holder == "b"


def test_it_hands_the_lease_over_at_once_on_release(engine):
    assert acquire(engine, "a", T0, TTL)
    release(engine, "b", T0)  # not b's to give
    assert not acquire(engine, "b", T0 + timedelta(seconds=1), TTL)
    release(engine, "a", T0 + timedelta(seconds=2))
    assert acquire(engine, "b", T0 + timedelta(seconds=2), TTL)


def test_it_lets_one_of_two_first_comers_win(engine):
    other = create_store_engine(engine.url.render_as_string(hide_password=False))
    try:
        results = [acquire(engine, "a", T0, TTL), acquire(other, "b", T0, TTL)]
    finally:
        other.dispose()
    assert results == [True, False]
    assert holder_of(engine).holder == "a"
