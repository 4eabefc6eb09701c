"""The benchmark's first-paint probe works against the console as users run it, under its security policy."""
from __future__ import annotations

import pytest

from bench.dashboard_browser import first_paints
from bench.dashboard_console import running_console

pytestmark = pytest.mark.stack


def test_it_times_the_first_contentful_paint_of_each_load(stack):
    with running_console(stack.layout, backend_timeout=2.0) as console:
        paints = first_paints(console, "/services?range=15m", loads=2)
    assert len(paints) == 2
    assert all(0 < paint < 30_000 for paint in paints), paints
