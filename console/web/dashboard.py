"""What the dashboard's pages share: the time range of the request, number formats, links that keep the range."""
from __future__ import annotations

from flask import Blueprint, abort, g, request, url_for
from pydantic import ValidationError

from console.correlate import PRESETS, Window
from console.correlate.chart import sparkline_points
from console.errors import UsageProblem
from console.web import dashboard_data as data

bp = Blueprint("dashboard", __name__)

RANGE_ARGS = frozenset({"range", "start", "end"})


def request_window() -> Window:
    """The range the URL asks for (default the last 15 minutes); a malformed one is a 400 page. One asked for
    is kept on ``g`` for the menu's links (``pages.nav_links``)."""
    try:
        window = data.parse_request_window(request.args, data.now())
    except UsageProblem as e:
        abort(400, str(e))
    if RANGE_ARGS & request.args.keys():
        g.asked_window = window
    return window


def filter_problem(e: ValidationError) -> str:
    """What is wrong with a page's filters, for its banner: the first field refused and why."""
    first = e.errors()[0]
    return f"bad filter {first['loc'][0]}: {first['msg']}"


@bp.app_template_global()
def range_url(endpoint: str, window: Window, **values) -> str:
    """A link to ``endpoint`` that keeps ``window``."""
    return url_for(endpoint, **values, **window.query_args())


@bp.app_template_global()
def range_presets() -> list[str]:
    """The preset ranges offered by the picker."""
    return list(PRESETS)


@bp.app_template_filter("ms")
def ms(seconds: float | None) -> str:
    """Seconds as milliseconds for people; "–" when unknown."""
    if seconds is None:
        return "–"
    value = seconds * 1000
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


@bp.app_template_filter("pct")
def pct(ratio: float | None) -> str:
    """A ratio as a percentage; "–" when unknown."""
    return "–" if ratio is None else f"{ratio * 100:.1f} %"


@bp.app_template_filter("per_s")
def per_s(rate: float | None) -> str:
    """A rate per second; "–" when unknown."""
    return "–" if rate is None else f"{rate:.2f}/s"


@bp.app_template_filter("interval")
def interval(seconds: int) -> str:
    """A bucket width for people: "10 s", "5 min", "1 h", "1 d"."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


@bp.app_template_filter("sparkline")
def sparkline(values: list[float | None]) -> str:
    """SVG polyline points for a sparkline of ``values``; empty when there is nothing to draw."""
    return sparkline_points(values)
