"""The forecast a predictive policy acts on at any moment, fitted only on what came before it.

The loop and a replay both ask a ``Forecaster``: it refits the model (``console.scaling.forecast``)
at every ``REFIT_SECONDS`` boundary on the ``historyDays`` before it, and turns the forecast of the
lead window into the replicas one replica's capacity calls for, a minute at a time.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from console.scaling import forecast as forecasting
from console.scaling.policy import Policy
from console.scaling.timeline import capacity_per_replica

__all__ = ["REFIT_SECONDS", "RESOLUTION", "Forecaster"]

REFIT_SECONDS = 3600.0
RESOLUTION = 60.0  # the forecast's grain when it is turned into replicas
Points = Sequence[tuple[float, float]]


@dataclass
class _Fit:
    """One refit period's model, its forecast load every minute from the boundary to past the lead, and the
    replicas already asked of it by (first, last) minute of a lead window."""

    model: forecasting.Model
    loads: list[float]
    replicas: dict[tuple[int, int], int] = field(default_factory=dict)


class Forecaster:
    """The forecast a predictive policy acts on at any moment, fitted only on what came before: at every
    ``REFIT_SECONDS`` boundary on the ``historyDays`` before it. The loop and the replay both ask it."""

    def __init__(self, policy: Policy, history: Points, *, refit_seconds: float = REFIT_SECONDS):
        predictive = policy.spec.predictive
        if predictive is None:
            raise ValueError(f"policy {policy.name} is not predictive")
        self.lead = float(predictive.lead_seconds)
        self.span = predictive.history_days * forecasting.DAY
        self.capacity, _ = capacity_per_replica(policy.spec.forecast_metric)
        self.refit = refit_seconds
        self._times = np.array([t for t, _ in history], dtype=float)
        self._values = np.array([v for _, v in history], dtype=float)
        # what depends on the time alone, computed once for the whole history rather than at every refit
        self._seasonal = forecasting.seasonal_features(self._times)
        self._fitted: dict[float, _Fit | None] = {}

    def _boundary(self, now: float) -> float:
        return math.floor(now / self.refit) * self.refit

    def _fit(self, boundary: float) -> _Fit | None:
        if boundary not in self._fitted:
            seen = (self._times < boundary) & (self._times >= boundary - self.span)
            try:
                model = forecasting.fit(self._times[seen], self._values[seen], seasonal=self._seasonal[seen])
            except forecasting.ForecastUnavailable:
                self._fitted[boundary] = None
            else:
                # the forecast of this refit period and its lead, every minute, computed once
                grid = boundary + np.arange(0, self.refit + self.lead + RESOLUTION, RESOLUTION)
                self._fitted[boundary] = _Fit(model, model.predict(grid).tolist())
        return self._fitted[boundary]

    def model_at(self, now: float) -> forecasting.Model | None:
        """The model in force at ``now``."""
        fitted = self._fit(self._boundary(now))
        return fitted.model if fitted else None

    def replicas_at(self, now: float) -> int | None:
        """The replicas the forecast asks for at ``now``: its highest load from the minute of ``now`` to
        ``leadSeconds`` later over the load one replica is sized for (None while there is too little history)."""
        boundary = self._boundary(now)
        return self._replicas(boundary, int((now - boundary) // RESOLUTION),
                              int((now + self.lead - boundary) // RESOLUTION))

    def load_at(self, now: float) -> float | None:
        """The forecast load of the minute of ``now`` (None while there is too little history)."""
        boundary = self._boundary(now)
        fitted = self._fit(boundary)
        return None if fitted is None else fitted.loads[int((now - boundary) // RESOLUTION)]

    def over(self, times: Sequence[float]) -> tuple[list[int | None], list[float | None]]:
        """``replicas_at`` and ``load_at`` of each of ``times`` (a replay's ticks), each refit period's minute and
        lead window worked out once for all the ticks that share it."""
        t = np.asarray(times, dtype=float)
        boundaries = np.floor(t / self.refit) * self.refit
        first = (t - boundaries) // RESOLUTION
        last = (t + self.lead - boundaries) // RESOLUTION
        # ticks in a row that share their period and window: a replay's steps of one minute
        starts = np.flatnonzero(np.concatenate(([True], (np.diff(boundaries) != 0) | (np.diff(first) != 0)
                                                | (np.diff(last) != 0))))
        counts = np.diff(np.append(starts, len(t))).tolist()
        replicas: list[int | None] = []
        loads: list[float | None] = []
        for boundary, minute, end, n in zip(boundaries[starts].tolist(), first[starts].astype(int).tolist(),
                                            last[starts].astype(int).tolist(), counts, strict=True):
            fitted = self._fit(boundary)
            replicas += [self._replicas(boundary, minute, end)] * n
            loads += [None if fitted is None else fitted.loads[minute]] * n
        return replicas, loads

    def _replicas(self, boundary: float, first: int, last: int) -> int | None:
        # the replicas for the forecast's highest load from minute ``first`` to ``last`` of the refit period
        fitted = self._fit(boundary)
        if fitted is None:
            return None
        replicas = fitted.replicas.get((first, last))
        if replicas is None:
            # a replay asks every step, and the steps of one minute share their window
            replicas = math.ceil(max(fitted.loads[first:last + 1]) / self.capacity - 1e-9)
            fitted.replicas[(first, last)] = replicas
        return replicas

    def wape(self, actual: Points) -> float | None:
        """How far the forecasts in force were from ``actual`` (None without a model or load)."""
        times = np.array([t for t, _ in actual], dtype=float)
        values = np.array([v for _, v in actual], dtype=float)
        seasonal = forecasting.seasonal_features(times)
        boundaries = np.floor(times / self.refit) * self.refit
        loads, forecasts = [], []
        for boundary in dict.fromkeys(boundaries.tolist()):
            fitted = self._fit(boundary)
            if fitted is not None:
                period = boundaries == boundary
                loads.append(values[period])
                forecasts.append(fitted.model.predict(times[period], seasonal=seasonal[period]))
        try:
            return forecasting.wape(np.concatenate(loads), np.concatenate(forecasts)) if loads else None
        except ValueError:
            return None
