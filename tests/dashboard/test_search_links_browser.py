"""A search's link names only what it searches for: a GET form leaves its empty fields out of the URL
(Debian's Chromium)."""
from __future__ import annotations

import pytest

from dashkit import log_in
from kit import browser_page, serving

pytestmark = pytest.mark.stack


def test_it_leaves_the_empty_fields_out_of_a_search_link(make_app, seeded):
    app = make_app(LOGS_INDEX=seeded.index)
    log_in(app)  # creates charlie
    with serving(app) as url, browser_page(url, "charlie") as page:
        page.goto(f"{url}/logs?range=1h")
        page.fill("form.filters input[name=service]", seeded.payments)
        page.click("form.filters button[type=submit]")
        page.wait_for_url(f"{url}/logs?range=1h&service={seeded.payments}")
        # the range picker keeps the search, and sends no empty start and end for a preset
        page.click("form.range button[value='6h']")
        page.wait_for_url(f"{url}/logs?service={seeded.payments}&range=6h")
        assert page.locator("table.lines tbody tr").count() == 1
