import pytest
from elastic_transport import ConnectionError as TransportConnectionError

from collectors.logship.retry import Abandoned, Retry, backoff
from console.errors import BackendUnavailable


class Fixed:
    def __init__(self, value: float):
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.mark.parametrize("jitter, expected", [
    pytest.param(1.0, [0.1, 0.2, 0.4, 10.0], id="no jitter drawn: full delay"),
    pytest.param(0.0, [0.05, 0.1, 0.2, 5.0], id="most jitter: half the delay"),
])
def test_it_backs_off_exponentially_up_to_a_cap(jitter, expected):
    assert [backoff(n, rng=Fixed(jitter)) for n in (1, 2, 3, 10)] == pytest.approx(expected)


def test_it_sleeps_the_backoff_in_short_steps():
    slept = []
    Retry(target="es", sleep=slept.append, rng=Fixed(1.0)).wait(3, "429")
    assert sum(slept) == pytest.approx(0.4) and max(slept) <= 0.2


def test_it_gives_up_past_the_limit():
    retry = Retry(target="http://es:9200", limit=2, sleep=lambda _: None)
    retry.wait(2, "503")
    with pytest.raises(BackendUnavailable, match="still failing after 2 retries .503."):
        retry.wait(3, "503")


def test_it_abandons_when_told_to():
    with pytest.raises(Abandoned):
        Retry(target="es", abandon=lambda: True, sleep=lambda _: None).wait(1, "503")


def test_it_calls_again_after_transport_errors_only():
    outcomes = [TransportConnectionError("refused"), TransportConnectionError("reset"), "done"]

    def action():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert Retry(target="es", sleep=lambda _: None).call(action) == "done"
    with pytest.raises(ZeroDivisionError):
        Retry(target="es", sleep=lambda _: None).call(lambda: 1 / 0)
