"""Every page on a 1024 px screen: the menu on one line, nothing wider than the screen, and every form field
named for a screen reader; every page on a phone: nothing wider than the screen; every page dark when the
browser asks for it (Debian's Chromium)."""
from __future__ import annotations

from console import auth, store
from kit import browser_page

PAGES = ("/", "/services?range=1h", "/logs?range=1h", "/traces?range=1h", "/rules", "/rules/new", "/slos",
         "/incidents", "/silences", "/oncall", "/scaling", "/scaling/policies/new", "/users", "/tokens", "/audit",
         "/account")
# the form fields a screen reader could only announce as "edit text": no label, aria-label or title
UNNAMED_FIELDS = """[...document.querySelectorAll("input:not([type=hidden]), select, textarea")].filter(field =>
    !field.getAttribute("aria-label") && !field.getAttribute("aria-labelledby") && !field.title
    && !field.closest("label") && !(field.id && document.querySelector(`label[for="${field.id}"]`))
).map(field => field.name)"""
PAGE_WIDTH = "document.documentElement.scrollWidth"


def every_page(page, live_url: str):
    """Open each of ``PAGES`` in turn, settled; yields its path."""
    for path in PAGES:
        page.goto(live_url + path)
        page.wait_for_load_state("networkidle")
        yield path


def test_it_fits_every_page_on_a_1024_px_screen(app, creds, live_url):
    with app.app_context():
        # the audit log's widest kind of row: a long actor, a path as target, a long detail
        auth.record_audit(principal=auth.Principal(name="shared-token:alertmanager_token", role="admin", via="token"),
                          action="rules.import", target="rules:/srv/opsconsole/checkout/rules/alerts", result="ok",
                          source="127.0.0.1", detail={"created": 3, "slos": ["gateway-availability"] * 4})
        store.session().commit()
    with browser_page(live_url, "alice", width=1024) as page:
        for path in every_page(page, live_url):
            assert page.evaluate(PAGE_WIDTH) <= 1024, path
            # one line of menu: as tall as one of its links
            nav, link = page.evaluate("[document.querySelector('.topbar nav').getBoundingClientRect().height,"
                                      " document.querySelector('.topbar nav a').getBoundingClientRect().height]")
            assert nav < 1.5 * link, path
            assert page.evaluate(UNNAMED_FIELDS) == [], path


def test_it_fits_every_page_on_a_phone(app, creds, live_url):
    with browser_page(live_url, "alice", width=390, height=844) as page:
        for path in every_page(page, live_url):
            # a wide table scrolls in its own box: the page itself never scrolls sideways
            assert page.evaluate(PAGE_WIDTH) <= 390, path
            # the menu goes under the brand, all of it on the screen
            brand, nav = page.evaluate("[document.querySelector('.topbar .brand').getBoundingClientRect().bottom,"
                                       " document.querySelector('.topbar nav').getBoundingClientRect().top]")
            assert nav >= brand, path


# what is still painted white, or in the light theme's ink, on a page the browser asked to be dark
LIGHT_LEFT = """[...document.querySelectorAll("body, body *")].filter(el => {
    const style = getComputedStyle(el);
    return el.getClientRects().length && (style.backgroundColor === "rgb(255, 255, 255)"
        || (el.childNodes.length && [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())
            && style.color === "rgb(29, 35, 48)"));
}).map(el => `${el.tagName.toLowerCase()}.${el.className}`)"""


def test_it_goes_dark_when_the_browser_asks(app, creds, live_url, artifacts):
    with browser_page(live_url, "alice", color_scheme="dark") as page:
        for path in every_page(page, live_url):
            assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(17, 20, 24)", path
            assert page.evaluate(LIGHT_LEFT) == [], path
        page.goto(live_url + "/incidents")
        page.screenshot(path=artifacts / "dark-incidents.png", full_page=True)
