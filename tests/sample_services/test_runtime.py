import pytest

from console.errors import UsageProblem
from sample_services.runtime import Replica, parse_replicas, plan


@pytest.mark.parametrize("specs, expected", [
    ((), {}),
    (("gateway=3",), {"gateway": 3}),
    (("gateway=3", "orders=0", "gateway=2"), {"gateway": 2, "orders": 0}),  # the last one wins
])
def test_it_parses_replica_counts(specs, expected):
    assert parse_replicas(specs) == expected


@pytest.mark.parametrize("spec, mentions", [
    ("gateway3", "gateway3"),     # no '='
    ("gateway=-1", "gateway"),    # negative
    ("gateway=two", "two"),       # not a number
    ("=2", "=2"),                 # no name
    ("shipping=2", "shipping"),   # unknown service
])
def test_it_rejects_bad_replica_counts(spec, mentions):
    with pytest.raises(UsageProblem, match=mentions):
        parse_replicas([spec])


def replicas(service: str, *numbers: int) -> list[Replica]:
    return [Replica(service, f"{service}-{n}", 9000 + n) for n in numbers]


def test_it_starts_the_lowest_free_numbers():
    start, stop = plan(replicas("gateway", 1, 3), {"gateway": 4})
    assert start == [("gateway", "gateway-2"), ("gateway", "gateway-4")] and stop == []


def test_it_stops_the_highest_numbers_first():
    live = replicas("gateway", 1, 2, 10)
    start, stop = plan(live, {"gateway": 1})
    assert start == [] and [r.name for r in stop] == ["gateway-2", "gateway-10"]


def test_it_changes_nothing_when_counts_match():
    live = replicas("gateway", 1, 2) + replicas("orders", 1)
    assert plan(live, {"gateway": 2, "orders": 1}) == ([], [])


def test_it_stops_every_replica_of_a_service_scaled_to_zero():
    assert [r.name for r in plan(replicas("orders", 1, 2), {"orders": 0})[1]] == ["orders-1", "orders-2"]
