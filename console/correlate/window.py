"""The time range every dashboard view shares: a preset (``15m`` ... ``24h``) or a custom start/end.

It travels in the URL as ``range=1h`` or ``range=custom&start=...&end=...`` so a view is a link.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from console.errors import UsageProblem

PRESETS = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "6h": timedelta(hours=6),
           "24h": timedelta(hours=24)}
DEFAULT = "15m"
LONGEST = timedelta(days=31)
# about this many points per chart: enough to see a shape, few enough to stay cheap
POINTS = 120
# the widths a histogram bar may have: lengths a clock reads, so each bar starts on a round time
BUCKETS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


@dataclass(frozen=True)
class Window:
    """A closed time range ``[start, end]`` in UTC; ``preset`` names it when it is one of ``PRESETS``."""

    start: datetime
    end: datetime
    preset: str | None = None

    @property
    def length(self) -> timedelta:
        """How long the window is."""
        return self.end - self.start

    @property
    def seconds(self) -> int:
        """Its length in whole seconds (at least 1), as PromQL range selectors want it."""
        return max(1, int(self.length.total_seconds()))

    @property
    def step_s(self) -> int:
        """A chart step giving about ``POINTS`` points, never under 2 s (the fastest scrape we run)."""
        return max(2, self.seconds // POINTS)

    @property
    def bucket_s(self) -> int:
        """A histogram bar's width: the shortest of ``BUCKETS_S`` giving at most ``POINTS`` bars (10 s over
        15 minutes, 5 min over 6 hours), not the 7.5 s a plain division gives."""
        return next((b for b in BUCKETS_S if b * POINTS >= self.seconds), BUCKETS_S[-1])

    def previous(self) -> Window:
        """The window of the same length that ends where this one starts."""
        return Window(self.start - self.length, self.start)

    def query_args(self) -> dict[str, str]:
        """The URL query that selects this window again (a preset stays relative to "now")."""
        if self.preset:
            return {"range": self.preset}
        # exact: a window that ends on a log line's millisecond must not lose the lines of that second
        return {"range": "custom", "start": iso(self.start, fraction=True), "end": iso(self.end, fraction=True)}


def iso(t: datetime, *, fraction: bool = False) -> str:
    """``t`` as RFC 3339 UTC with a ``Z``, to the second; with ``fraction``, its fraction of a second too
    (when it has one)."""
    t = t.astimezone(timezone.utc)
    if fraction and t.microsecond:
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}".rstrip("0") + "Z"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """An RFC 3339 time (``Z`` or an offset; no offset means UTC) or unix seconds; else ``UsageProblem``."""
    text = text.strip()
    try:
        if text.replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(text), timezone.utc)
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError) as e:
        raise UsageProblem(f"not a time: {text[:40]!r}") from e
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def parse_window(*, now: datetime, range: str | None = None, start: str | None = None,
                 end: str | None = None) -> Window:
    """The window a request asks for: a preset ending ``now``, or ``start``/``end`` (custom); default ``15m``."""
    if start or end or range == "custom":
        if not (start and end):
            raise UsageProblem("a custom range needs both start and end")
        window = Window(parse_time(start), parse_time(end))
        if window.end <= window.start:
            raise UsageProblem("the range must end after it starts")
        if window.length > LONGEST:
            raise UsageProblem(f"the range may span at most {LONGEST.days} days")
        return window
    preset = range or DEFAULT
    if preset not in PRESETS:
        raise UsageProblem(f"unknown range {preset!r} (known: {', '.join(PRESETS)}, custom)")
    return Window(now - PRESETS[preset], now, preset)
