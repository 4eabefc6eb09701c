"""Service level objectives as Prometheus rules: an SLO (its good and total events, objective and window)
becomes the recording rules of its error ratio over each window the alerts need, and the multiwindow,
multi-burn-rate alerts of the Google SRE Workbook (chapter 5, "Alerting on SLOs"):

- page when the budget burns 14.4 times too fast over 1 h and 5 m (2 % of a 30-day budget in an hour),
  or 6 times over 6 h and 30 m (5 % in six hours);
- ticket when it burns at 1 times over 3 d and 6 h.

Each long window is paired with a short one (1/12 of it) so an alert stops soon after the burning does.
Pure but for ``read_slos``: the text is written and applied elsewhere. ``scale`` shrinks every window alike, for a test that
cannot wait hours.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from console.errors import UsageProblem
from console.rules.duration import format_duration, parse_duration
from console.rules.model import LABEL_NAME
from console.rules.render import dump

# an SLO's name goes into label values, a group name and a file name
SLO_NAME = r"^[a-z0-9][a-z0-9-]*$"
WINDOW_PLACEHOLDER = "$window"
RATIO = "slo:sli_error:ratio_rate"
FAST_BURN, SLOW_BURN = "ErrorBudgetFastBurn", "ErrorBudgetSlowBurn"
# not "opsconsole-*": those files belong to the alert rules' apply, which removes any it did not write
FILE_PREFIX = "opsconsole_slo-"


@dataclass(frozen=True)
class BurnAlert:
    """Fire when the error ratio over ``long`` and over ``short`` both exceed ``factor`` times the budget."""

    factor: float
    long: str
    short: str


# (alert, severity, windows ORed together)
ALERTS = (
    (FAST_BURN, "page", (BurnAlert(14.4, "1h", "5m"), BurnAlert(6, "6h", "30m"))),
    (SLOW_BURN, "ticket", (BurnAlert(1, "3d", "6h"),)),
)


class Slo(BaseModel):
    """One SLO: the share of good events ``objective`` (in percent) over ``window``.

    ``good`` and ``total`` are PromQL rates with ``$window`` where the range goes; without them the
    service's HTTP requests count, any answer but a 5xx being good.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=63, pattern=SLO_NAME)
    service: str = Field(min_length=1, max_length=128, pattern=r'^[^"\\\n]+$')
    objective: float = Field(gt=0, lt=100)
    window: str = "30d"
    good: str | None = Field(default=None, max_length=4000)
    total: str | None = Field(default=None, max_length=4000)
    description: str = Field(default="", max_length=500)
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        seconds = parse_duration(value)
        if not 3600 <= seconds <= 366 * 86400:
            raise ValueError(f"the window must be between 1h and 366d, got {value!r}")
        return value  # as written: 30d reads better than Prometheus' 4w2d

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [name for name in value if not LABEL_NAME.match(name) or name in ("slo", "service", "severity")]
        if bad:
            raise ValueError(f"label {bad[0]!r}: a label name ([a-zA-Z_][a-zA-Z0-9_]*) other than slo, "
                             "service and severity, which the rules set")
        return dict(sorted(value.items()))

    @model_validator(mode="after")
    def _events(self) -> Slo:
        if (self.good is None) != (self.total is None):
            raise ValueError("give both good and total, or neither (the service's HTTP requests)")
        for name in ("good", "total"):
            query = getattr(self, name)
            if query is not None and WINDOW_PLACEHOLDER not in query:
                raise ValueError(f"{name} must contain {WINDOW_PLACEHOLDER} where the range goes, "
                                 f"e.g. sum(rate(my_requests_total[{WINDOW_PLACEHOLDER}]))")
        return self

    @property
    def budget(self) -> float:
        """The share of events allowed to fail: 0.005 for 99.5 %."""
        return round(1 - self.objective / 100, 10)

    def events(self, window: str) -> tuple[str, str]:
        """The good and the total events' PromQL over ``window``."""
        if self.good is not None and self.total is not None:
            return self.good.replace(WINDOW_PLACEHOLDER, window), self.total.replace(WINDOW_PLACEHOLDER, window)
        selector = f'service="{self.service}"'
        return (f'sum(rate(http_requests_total{{{selector},status!~"5.."}}[{window}]))',
                f"sum(rate(http_requests_total{{{selector}}}[{window}]))")


def scaled(window: str, scale: float) -> str:
    """``window`` multiplied by ``scale``, at least a second, as Prometheus spells it."""
    return format_duration(max(1.0, round(parse_duration(window) * scale)))


def windows(scale: float = 1.0) -> list[str]:
    """Every window an alert reads, shortest first."""
    spans = {w for _, _, burns in ALERTS for b in burns for w in (b.long, b.short)}
    return [scaled(w, scale) for w in sorted(spans, key=parse_duration)]


def group(slo: Slo, *, scale: float = 1.0) -> dict:
    """The rule group of ``slo``: its error ratio recorded over each window, then its burn-rate alerts."""
    if not 0 < scale <= 1:
        raise ValueError(f"scale must be in (0, 1], got {scale}")
    labels = {"slo": slo.name, "service": slo.service, **slo.labels}
    selector = f'{{slo="{slo.name}"}}'
    rules: list[dict] = []
    for window in windows(scale):
        rules.append({"record": RATIO + window, "expr": error_ratio_query(slo, window), "labels": dict(labels)})
    budget = f"{slo.budget:g}"
    for alert, severity, burns in ALERTS:
        conditions = [f"({RATIO}{scaled(b.long, scale)}{selector} > ({b.factor:g} * {budget})"
                      f" and {RATIO}{scaled(b.short, scale)}{selector} > ({b.factor:g} * {budget}))"
                      for b in burns]
        spans = " or ".join(f"{b.factor:g}x over {scaled(b.long, scale)} and {scaled(b.short, scale)}"
                            for b in burns)
        rules.append({
            "alert": alert, "expr": "\n  or ".join(conditions), "labels": {**labels, "severity": severity},
            "annotations": {
                "summary": f"{slo.service} burns its {slo.objective:g}% SLO {slo.name}'s error budget "
                           f"({spans})",
                "description": slo.description or f"error budget {budget} of events over {slo.window}",
            }})
    return {"name": f"slo-{slo.name}", "rules": rules}


def render(slo: Slo, *, scale: float = 1.0) -> str:
    """The rule file of ``slo``."""
    return dump({"groups": [group(slo, scale=scale)]})


def files(slos: list[Slo], *, scale: float = 1.0) -> dict[str, str]:
    """File name -> rule file text, one per SLO."""
    return {file_name(slo): render(slo, scale=scale) for slo in slos}


def expected_rules(slos: list[Slo], *, scale: float = 1.0) -> dict[str, list[str]]:
    """File name -> the names Prometheus lists for its rules (recorded series, then alerts), in order."""
    return {file_name(slo): [r.get("record") or r["alert"] for r in group(slo, scale=scale)["rules"]]
            for slo in slos}


def parse_slos(text: str, *, source: str = "slos") -> list[Slo]:
    """The SLOs of a file (a mapping with a list under ``slos``); ``UsageProblem`` naming the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise UsageProblem(f"{source}: not valid YAML: {e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("slos"), list):
        raise UsageProblem(f"{source}: an SLO file is a mapping with a list under 'slos'")
    slos = []
    for n, entry in enumerate(data["slos"]):
        try:
            slos.append(Slo.model_validate(entry))
        except ValidationError as e:
            first = e.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "slo"
            raise UsageProblem(f"{source}: slos[{n}].{field}: {first['msg']}") from e
    _refuse_twice(slos, f"{source}: SLO {{!r}} is defined twice")
    return slos


def read_slos(directory: Path) -> list[Slo]:
    """Every SLO of the ``*.yml`` files in ``directory``, files in name order; names unique across them."""
    if not directory.is_dir():
        raise UsageProblem(f"{directory} is not a directory")
    found = [s for path in sorted(directory.glob("*.yml")) for s in parse_slos(path.read_text(), source=str(path))]
    _refuse_twice(found, f"{directory}: SLO {{!r}} is defined in more than one file")
    return found


def _refuse_twice(slos: list[Slo], message: str) -> None:
    names = [s.name for s in slos]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise UsageProblem(message.format(twice[0]))


def file_name(slo: Slo) -> str:
    """The rule file of ``slo`` in the directory Prometheus loads."""
    return f"{FILE_PREFIX}{slo.name}.yml"


def error_ratio_query(slo: Slo, window: str) -> str:
    """PromQL of the share of ``slo``'s events that failed over ``window``, straight from its events (so it
    answers before any rule was applied, and over the SLO's whole window)."""
    good, total = slo.events(window)
    return f"1 - ({good}) / ({total})"


@dataclass(frozen=True)
class Status:
    """Where an SLO stands: its error ratio over its window and over each alert window (None: no events)."""

    slo: Slo
    window_ratio: float | None
    ratios: dict[str, float | None]
    firing: tuple[str, ...] = ()

    @property
    def sli(self) -> float | None:
        """The share of good events over the window."""
        return None if self.window_ratio is None else 1 - self.window_ratio

    @property
    def budget_left(self) -> float | None:
        """The share of the window's error budget not yet spent; below zero once overspent."""
        return None if self.window_ratio is None else 1 - self.window_ratio / self.slo.budget

    def burn_rates(self) -> dict[str, float | None]:
        """How many times faster than the budget allows the errors come, over each alert window."""
        return {w: None if r is None else r / self.slo.budget for w, r in self.ratios.items()}


def status(slo: Slo, readings: dict[str, float | None], firing: tuple[str, ...] = ()) -> Status:
    """``slo``'s status from ``readings``: the error ratio over its window (key ``slo.window``) and over each
    alert window; a missing or NaN reading (no events) is None."""
    def clean(value: float | None) -> float | None:
        return None if value is None or value != value else value

    return Status(slo, clean(readings.get(slo.window)), {w: clean(readings.get(w)) for w in windows()}, firing)
