"""The rule editor in a real browser (Debian's Chromium): open a rule, type an invalid expression and see the
inline error, fix it, save, see the diff, roll back."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect, sync_playwright

from console import auth, store

from kit import CHROMIUM, serving

pytestmark = pytest.mark.stack

PASSWORD = "a long test password"
RULE = {"group": "browsertest", "alert": "PrometheusSelfUp", "expr": 'up{job="prometheus"} == 1', "for": "10s",
        "labels": {"severity": "ticket"}, "annotations": {"summary": "{{ $labels.instance }} is up"}, "reason": "first"}


@pytest.fixture
def served(console) -> Iterator[tuple[str, int]]:
    """The console over real HTTP with one rule and an operator; (base URL, rule id)."""
    rule_id = console.client.post("/api/v1/rules", json=RULE, headers=console.operator).json["id"]
    with console.app.app_context():
        auth.create_user(store.session(), name="olga", password=PASSWORD, role="operator")
    with serving(console.app) as url:
        yield url, rule_id


def test_it_edits_validates_saves_diffs_and_rolls_back(served, artifacts):
    url, rule_id = served
    with sync_playwright() as p:
        browser = p.chromium.launch(**CHROMIUM)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(20_000)
        page.goto(f"{url}/login")
        page.fill("input[name=name]", "olga")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")

        page.goto(f"{url}/rules")
        row = page.locator(f"tr[data-rule='{rule_id}']")
        expect(row.locator(".pill").first).to_have_text(re.compile("inactive|pending|firing"))
        page.screenshot(path=artifacts / "rules-1-list.png", full_page=True)
        row.locator("a", has_text="PrometheusSelfUp").click()
        expect(page.locator("h1")).to_contain_text("browsertest / PrometheusSelfUp")

        page.fill("#f-expr", 'sum(up{job="prometheus"} == 1')
        expect(page.locator("#err-expr .error")).to_contain_text("unclosed left parenthesis")
        page.screenshot(path=artifacts / "rules-2-invalid.png", full_page=True)

        page.fill("#f-expr", 'up{job="prometheus"} == 1')
        page.fill("#f-for", "30s")
        page.fill("#f-reason", "less noise")
        expect(page.locator("#problems")).not_to_contain_text("unclosed")
        expect(page.locator("#err-expr")).to_be_empty()
        page.click("button[type=submit].primary")
        expect(page.locator(".banner.saved")).to_have_text("Saved and applied: version 2.")

        page.locator("tr[data-version='2'] a", has_text="diff from v1").click()
        expect(page.locator("#diff pre.diff .del")).to_have_text("-for: 10s")
        expect(page.locator("#diff pre.diff .add")).to_have_text("+for: 30s")
        page.screenshot(path=artifacts / "rules-3-diff.png", full_page=True)

        page.locator("tr[data-version='1'] button", has_text="Roll back to v1").click()
        expect(page.locator(".banner.saved")).to_have_text("Saved and applied: version 3.")
        expect(page.locator("#f-for")).to_have_value("10s")
        expect(page.locator("tr[data-version='3']")).to_contain_text("rollback to version 1")

        page.select_option("#backtest-range", "1h")
        page.click("text=Run backtest")
        expect(page.locator("#backtest")).to_contain_text("would have fired")
        # the expression charted (the left side of `== 1`), the threshold dashed, the firing span behind them
        expect(page.locator("#backtest [data-chart=backtest] canvas")).to_be_visible()
        expect(page.locator("#backtest .u-legend")).to_contain_text("threshold")
        expect(page.locator("#backtest .u-legend")).to_contain_text('job="prometheus"')
        page.screenshot(path=artifacts / "rules-4-rolled-back.png", full_page=True)
        browser.close()
