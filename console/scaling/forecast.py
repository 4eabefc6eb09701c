"""A forecast of a target's load from its history: trend, daily and weekly seasonality (pure numpy).

The model is a least-squares fit of the log of the load (so the weekly effect scales the daily
curve rather than shifting it, as a quiet Sunday scales a weekday's shape) on a linear trend,
``DAILY_HARMONICS`` sine/cosine pairs of the time of day and one level per day of the week, all
in UTC. A little ridge keeps it stable on short histories: a day of history gives a daily curve
and no weekly effect, two weeks give both. The trend is fitted only from a week of history on,
so a short ramp is not extrapolated into the future. ``needed_replicas`` turns a forecast into
the floor predictive scaling raises: the highest forecast load of the lead window over the load
one replica is sized for.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["DAY", "ForecastUnavailable", "Model", "fit", "seasonal_features", "wape"]

DAY = 86_400.0
WEEK = 7 * DAY
DAILY_HARMONICS = 6
MIN_HISTORY = DAY  # less than a day cannot show the daily curve
TREND_HISTORY = 7 * DAY
RIDGE = 1e-3
LOG_OFFSET_SHARE = 0.01  # of the mean load: keeps the log finite where the load is zero


class ForecastUnavailable(ValueError):
    """Too little history to forecast from (less than a day of samples)."""


@dataclass(frozen=True)
class Model:
    """A fitted forecast: ``predict(times)`` gives the load at those unix times."""

    origin: float
    coefficients: tuple[float, ...]
    offset: float
    trend: bool
    fitted_until: float  # the newest sample the model saw

    def predict(self, times: Sequence[float] | np.ndarray, *, seasonal: np.ndarray | None = None) -> np.ndarray:
        """The forecast load at each of ``times`` (unix seconds), never below zero; ``seasonal`` is their
        ``seasonal_features`` when the caller has them already."""
        features = _features(np.asarray(times, dtype=float), self.origin, trend=self.trend, seasonal=seasonal)
        return np.maximum(np.exp(np.einsum("ij,j->i", features, np.asarray(self.coefficients))) - self.offset, 0.0)


def fit(times: Sequence[float] | np.ndarray, values: Sequence[float] | np.ndarray, *,
        seasonal: np.ndarray | None = None) -> Model:
    """The model of ``values`` at ``times`` (unix seconds); NaNs are gaps. ``ForecastUnavailable`` under a day.
    ``seasonal`` is the times' ``seasonal_features`` when the caller has them already (refits over a sliding
    window of one history compute them once)."""
    t = np.asarray(times, dtype=float)
    y = np.asarray(values, dtype=float)
    known = ~np.isnan(y)
    t, y = t[known], np.maximum(y[known], 0.0)
    if seasonal is not None:
        seasonal = seasonal[known]
    if t.size < 2 or t[-1] - t[0] < MIN_HISTORY:
        raise ForecastUnavailable("a forecast needs at least a day of history")
    offset = max(LOG_OFFSET_SHARE * float(y.mean()), 1e-9)
    origin = float(t[0])
    trend = t[-1] - t[0] >= TREND_HISTORY
    x = _features(t, origin, trend=trend, seasonal=seasonal)
    # ridge on everything but the intercept (unseen weekdays stay at the mean, not at noise), solved by the
    # normal equations: a system of twenty unknowns, far cheaper than a decomposition of every sample.
    # einsum, not BLAS: on a busy machine waking BLAS threads for matrices this small costs 100 ms a fit
    penalty = RIDGE * t.size * np.eye(x.shape[1])
    penalty[0, 0] = 0.0
    coefficients = np.linalg.solve(np.einsum("ij,ik->jk", x, x) + penalty, np.einsum("ij,i->j", x, np.log(y + offset)))
    return Model(origin, tuple(float(c) for c in coefficients), offset, bool(trend), float(t[-1]))


def seasonal_features(t: np.ndarray) -> np.ndarray:
    """The model's columns that depend only on the time of day and the day of the week, one row per time."""
    phase = 2 * np.pi * (t % DAY) / DAY
    columns = []
    for k in range(1, DAILY_HARMONICS + 1):
        columns += [np.sin(k * phase), np.cos(k * phase)]
    # 1970-01-01 was a Thursday: (days + 3) % 7 is the weekday, Monday = 0; Monday is the baseline
    weekday = ((t // DAY) + 3) % 7
    columns += [(weekday == d).astype(float) for d in range(1, 7)]
    return np.column_stack(columns)


def _features(t: np.ndarray, origin: float, *, trend: bool, seasonal: np.ndarray | None = None) -> np.ndarray:
    columns = [np.ones_like(t)]
    if trend:
        columns.append((t - origin) / WEEK)
    return np.column_stack([*columns, seasonal_features(t) if seasonal is None else seasonal])


def wape(actual: Sequence[float] | np.ndarray, forecast: Sequence[float] | np.ndarray) -> float:
    """Weighted absolute percentage error, as a share: sum |actual - forecast| / sum |actual| (gaps left out)."""
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    known = ~(np.isnan(a) | np.isnan(f))
    total = float(np.abs(a[known]).sum())
    if total == 0:
        raise ValueError("no load to weigh the error by")
    return float(np.abs(a[known] - f[known]).sum()) / total
