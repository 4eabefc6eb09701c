"""The shared time range: presets relative to now, custom ranges, and what is refused."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from console.correlate.window import Window, iso, parse_time, parse_window
from console.errors import UsageProblem

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("args, start, preset", [
    ({}, NOW - timedelta(minutes=15), "15m"),
    ({"range": "1h"}, NOW - timedelta(hours=1), "1h"),
    ({"range": "24h"}, NOW - timedelta(hours=24), "24h"),
    ({"range": "custom", "start": "2026-03-01T10:00:00Z", "end": "2026-03-01T11:00:00Z"},
     datetime(2026, 3, 1, 10, tzinfo=timezone.utc), None),
    ({"start": "1772359200", "end": "2026-03-01T13:00:00+02:00"}, datetime(2026, 3, 1, 10, tzinfo=timezone.utc), None),
], ids=["default 15m", "preset 1h", "preset 24h", "custom RFC 3339", "unix start, offset end"])
def test_it_parses_the_range_a_request_asks_for(args, start, preset):
    window = parse_window(now=NOW, **args)
    assert (window.start, window.preset) == (start, preset)


@pytest.mark.parametrize("args, message", [
    ({"range": "2h"}, "unknown range"),
    ({"range": "custom", "start": "2026-03-01T10:00:00Z"}, "needs both"),
    ({"start": "2026-03-01T11:00:00Z", "end": "2026-03-01T10:00:00Z"}, "end after it starts"),
    ({"start": "2026-01-01T00:00:00Z", "end": "2026-03-01T00:00:00Z"}, "at most 31 days"),
    ({"start": "yesterday", "end": "2026-03-01T00:00:00Z"}, "not a time"),
], ids=["unknown preset", "custom without end", "reversed", "too long", "not a time"])
def test_it_refuses_a_range_that_cannot_work(args, message):
    with pytest.raises(UsageProblem, match=message):
        parse_window(now=NOW, **args)


def test_it_gives_the_previous_window_of_the_same_length():
    window = parse_window(now=NOW, range="1h")
    assert window.previous() == Window(NOW - timedelta(hours=2), NOW - timedelta(hours=1))


@pytest.mark.parametrize("range_, step", [("15m", 7), ("1h", 30), ("24h", 720)], ids=["15m", "1h", "24h"])
def test_it_picks_a_step_of_about_120_points(range_, step):
    assert parse_window(now=NOW, range=range_).step_s == step


@pytest.mark.parametrize("seconds, bucket", [
    (60, 1), (900, 10), (3600, 30), (3601, 60), (6 * 3600, 300), (24 * 3600, 900), (31 * 86400, 43200),
    (400 * 86400, 86400),
], ids=["a minute", "15m", "1h: exactly 120 bars", "just over 1h", "6h", "24h", "the longest custom range",
        "longer than any: a day"])
def test_it_sizes_a_histogram_bar_to_a_length_a_clock_reads(seconds, bucket):
    assert Window(NOW - timedelta(seconds=seconds), NOW).bucket_s == bucket


def test_it_links_a_preset_as_a_preset_and_a_custom_range_by_its_times():
    assert parse_window(now=NOW, range="6h").query_args() == {"range": "6h"}
    custom = Window(datetime(2026, 3, 1, 10, tzinfo=timezone.utc), NOW)
    assert custom.query_args() == {"range": "custom", "start": "2026-03-01T10:00:00Z", "end": "2026-03-01T12:00:00Z"}
    assert parse_time(iso(NOW)) == NOW
    # to the microsecond when it has a fraction: a page that ends on a log line's millisecond
    line = datetime(2026, 3, 1, 11, 59, 59, 125000, tzinfo=timezone.utc)
    assert Window(custom.start, line).query_args()["end"] == "2026-03-01T11:59:59.125Z"
    assert parse_time(Window(custom.start, line).query_args()["end"]) == line
