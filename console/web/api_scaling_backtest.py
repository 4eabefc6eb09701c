"""``POST /api/v1/scaling/policies/<id>/backtest``: a stored policy (and optionally another beside it) replayed
over what Prometheus recorded, through the engine the loop runs."""
from __future__ import annotations

import datetime
import time

from pydantic import BaseModel, ConfigDict, Field

from console import store
from console.backends import get_backends
from console.scaling import recorded
from console.scaling.backtest import Backtest
from console.scaling.models import PolicyRecord
from console.scaling.policy import Policy
from console.web.apiroutes import ApiError, area_blueprint, route

bp = area_blueprint("scaling_backtest")

MAX_ID = 2**63 - 1


class BacktestIn(BaseModel):
    """The window (default: the last day), the step, where the replay starts, and a policy to compare with."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"step": 15, "startup_seconds": 30}]})

    start: datetime.datetime | None = None
    end: datetime.datetime | None = None
    step: float = Field(default=15.0, gt=0, le=3600)
    initial_replicas: int | None = Field(default=None, ge=0, le=100_000)
    startup_seconds: float = Field(default=0.0, ge=0, le=3600)
    compare: Policy | None = None


class EventOut(BaseModel):
    """A replayed scale event."""

    at: float
    from_replicas: int
    to_replicas: int


class RunOut(BaseModel):
    """One policy replayed: its ticks as columns, scale events, time under-provisioned and replica-hours."""

    policy: str
    under_provisioned_seconds: float
    replica_hours: float
    load_metric: str | None
    capacity_per_replica: float | None
    forecast_wape: float | None
    events: list[EventOut]
    at: list[float]
    replicas: list[int]
    ready: list[int]
    load: list[float | None]
    forecast: list[int | None]
    forecast_load: list[float | None]


class BacktestOut(BaseModel):
    """The window and each run (the stored policy first)."""

    start: float
    end: float
    step: float
    runs: list[RunOut]


def run_out(run: Backtest) -> RunOut:
    """The API form of a replay."""
    return RunOut(policy=run.policy, under_provisioned_seconds=run.under_provisioned_seconds,
                  replica_hours=run.replica_hours, load_metric=run.load_metric, capacity_per_replica=run.capacity,
                  forecast_wape=run.forecast_wape,
                  events=[EventOut(at=t, from_replicas=a, to_replicas=b) for t, a, b in run.events],
                  at=run.at, replicas=run.replicas, ready=run.ready, load=run.load, forecast=run.forecast,
                  forecast_load=run.forecast_load)


@route(bp, "POST", "/scaling/policies/<int:policy_id>/backtest", role="viewer", body=BacktestIn, response=BacktestOut,
       errors=(404, 422, 502, 503), tag="scaling",
       summary="Replay a policy (and another beside it) over Prometheus' history through the loop's engine")
def backtest(policy_id: int, body: BacktestIn):
    """Replicas over time, scale events, time under-provisioned and replica-hours of the stored policy."""
    record = store.session().get(PolicyRecord, policy_id) if policy_id <= MAX_ID else None
    if record is None:
        raise ApiError(404, "not_found", f"no scaling policy with id {policy_id}")
    end = body.end.timestamp() if body.end else time.time()
    start = body.start.timestamp() if body.start else end - 86400
    prometheus = get_backends()["prometheus"]
    policies = [Policy.model_validate(record.document)] + ([body.compare] if body.compare is not None else [])
    try:
        runs = recorded.compare(prometheus, policies, start, end, body.step, initial_replicas=body.initial_replicas,
                                startup_seconds=body.startup_seconds)
    except ValueError as e:
        raise ApiError(422, "invalid_window", str(e)) from e
    return BacktestOut(start=start, end=end, step=body.step, runs=[run_out(run) for run in runs])
