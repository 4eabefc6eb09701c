import pytest

from sample_services.resilience import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, TokenBucket, backoff_delay, \
    is_idempotent


def test_it_admits_a_burst_then_asks_to_wait():
    bucket = TokenBucket(rate=10, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(0.1)


def test_it_refills_at_the_rate_up_to_the_burst():
    bucket = TokenBucket(rate=10, burst=2, now=0.0)
    bucket.take(0.0), bucket.take(0.0)
    assert bucket.take(0.05) > 0
    assert bucket.take(0.2) == 0.0
    assert [bucket.take(100.0) for _ in range(3)][:2] == [0.0, 0.0]


def test_it_ignores_a_clock_that_goes_back():
    bucket = TokenBucket(rate=1, burst=1, now=10.0)
    assert bucket.take(10.0) == 0.0
    assert bucket.take(5.0) == pytest.approx(1.0)


@pytest.mark.parametrize("rate, burst", [(0, 1), (-1, 5), (1, 0.5)], ids=["zero rate", "negative rate", "tiny burst"])
def test_it_rejects_a_bucket_that_admits_nothing(rate, burst):
    with pytest.raises(ValueError):
        TokenBucket(rate=rate, burst=burst)


def test_it_opens_after_consecutive_failures():
    breaker = CircuitBreaker(threshold=3, reset_after=5)
    for t in range(3):
        assert breaker.allow(t)
        breaker.record_failure(t)
    assert breaker.state == OPEN
    assert not breaker.allow(4.0)


def test_it_resets_the_count_on_success():
    breaker = CircuitBreaker(threshold=2, reset_after=5)
    breaker.record_failure(0)
    breaker.record_success(1)
    breaker.record_failure(2)
    assert breaker.state == CLOSED


def test_it_lets_one_probe_through_when_half_open():
    breaker = CircuitBreaker(threshold=1, reset_after=5)
    breaker.record_failure(0)
    assert breaker.allow(5.0)
    assert breaker.state == HALF_OPEN
    assert not breaker.allow(5.1)


@pytest.mark.parametrize("probe_ok, state", [(True, CLOSED), (False, OPEN)], ids=["probe heals", "probe fails"])
def test_it_settles_on_the_probe(probe_ok, state):
    breaker = CircuitBreaker(threshold=1, reset_after=5)
    breaker.record_failure(0)
    breaker.allow(6)
    (breaker.record_success if probe_ok else breaker.record_failure)(6)
    assert breaker.state == state
    assert breaker.allow(7) == probe_ok


@pytest.mark.parametrize("attempt, rand, expected", [
    (0, 1.0, 0.1),    # first retry waits at most base
    (2, 1.0, 0.4),    # doubles each attempt
    (10, 1.0, 1.0),   # capped
    (3, 0.5, 0.4),    # jitter scales the window
    (3, 0.0, 0.0),    # and may be zero
])
def test_it_backs_off_with_full_jitter(attempt, rand, expected):
    assert backoff_delay(attempt, base=0.1, cap=1.0, rand=rand) == pytest.approx(expected)


@pytest.mark.parametrize("method, headers, expected", [
    ("GET", None, True),
    ("DELETE", {}, True),
    ("POST", {}, False),
    ("POST", {"Idempotency-Key": "k"}, True),
    ("patch", {"idempotency-key": "k"}, True),
])
def test_it_retries_only_idempotent_calls(method, headers, expected):
    assert is_idempotent(method, headers) is expected
