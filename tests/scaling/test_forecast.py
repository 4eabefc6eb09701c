"""The load forecast: daily and weekly seasonality and trend, its error on a held-out day, the floor it asks for."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from console.scaling.forecast import DAY, ForecastUnavailable, fit, wape
from sample_services.history import load_at

START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday
STEP = 300


def diurnal(days: float, *, peak: float = 100.0, noise: float = 0.05, growth_per_week: float = 0.0, seed: int = 1):
    """The shop's daily wave with quiet weekends, ``noise`` of uniform jitter, optionally growing."""
    rng = random.Random(seed)
    times = np.arange(START.timestamp(), START.timestamp() + days * DAY, STEP)
    values = [load_at(datetime.fromtimestamp(t, UTC), peak) * (1 + growth_per_week * (t - times[0]) / (7 * DAY))
              * rng.uniform(1 - noise, 1 + noise) for t in times]
    return times, np.array(values)


def held_out(times, values, days: int = 1):
    """Fit on all but the last ``days``, and the WAPE on those days."""
    train = times < times[-1] - days * DAY + STEP / 2
    model = fit(times[train], values[train])
    return model, wape(values[~train], model.predict(times[~train]))


@pytest.mark.parametrize("days, growth", [(14, 0.0), (14, 0.1), (28, 0.0), (8, 0.0)],
                         ids=["two weeks", "two weeks growing 10 % a week", "four weeks", "eight days"])
def test_it_forecasts_the_held_out_day_within_fifteen_percent(days, growth):
    _, error = held_out(*diurnal(days, growth_per_week=growth))
    assert error <= 0.15


def test_it_learns_that_weekends_are_quieter():
    times, values = diurnal(14)
    model = fit(times, values)
    friday, saturday = (START + timedelta(days=18, hours=14)).timestamp(), (START + timedelta(days=19, hours=14)).timestamp()
    at_friday, at_saturday = model.predict([friday, saturday])
    assert at_saturday == pytest.approx(0.7 * at_friday, rel=0.05)


def test_it_follows_a_trend_only_from_a_week_of_history():
    rising = diurnal(14, growth_per_week=0.2)
    assert fit(*rising).trend
    # a short ramp is not projected: three days of growth fit without a trend
    assert not fit(*diurnal(3, growth_per_week=0.2)).trend
    _, error = held_out(*rising)
    assert error < 0.05


def test_it_needs_a_day_of_history():
    times, values = diurnal(0.9)
    with pytest.raises(ForecastUnavailable, match="a day"):
        fit(times, values)


def test_it_skips_gaps():
    times, values = diurnal(14)
    values[100:400] = np.nan
    _, error = held_out(times, values)
    assert error <= 0.15


def test_it_never_forecasts_a_negative_load():
    times = np.arange(0, 2 * DAY, STEP)
    values = np.where((times % DAY) < DAY / 2, 0.0, 50.0)
    assert (fit(times, values).predict(times) >= 0).all()


@pytest.mark.parametrize("actual, forecast, expected", [
    ([10, 10], [10, 10], 0.0),
    ([10, 30], [20, 20], 0.5),
    ([10, float("nan")], [5, 100], 0.5),
], ids=["exact", "off by half", "gaps left out"])
def test_it_weighs_the_error_by_the_load(actual, forecast, expected):
    assert wape(actual, forecast) == pytest.approx(expected)


def test_it_refuses_to_weigh_no_load():
    with pytest.raises(ValueError, match="no load"):
        wape([0, 0], [1, 1])
