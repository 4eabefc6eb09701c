"""The rule pages against the real Prometheus: list with live state, editor, inline validation, save, diff,
rollback, backtest, the roles and CSRF they need, and a banner when Prometheus is down."""
from __future__ import annotations

import re

import pytest
from kit import eventually, free_port
from rulekit import make_console, shut

from console import auth, store
from console.rules import versions
from console.rules.model import Rule
from console.store import AuditEntry
from console.web.rules import field_problems, form_rule, parse_pairs

pytestmark = pytest.mark.stack

PASSWORD = "a long test password"
RULE = {"group": "pagetest", "alert": "PrometheusSelfUp", "expr": 'up{job="prometheus"} == 1', "for": "10s",
        "labels": {"severity": "ticket"}, "annotations": {"summary": "{{ $labels.instance }} is up"}}
FORM = {"group": "pagetest", "alert": "PrometheusSelfUp", "expr": 'up{job="prometheus"} == 1', "for": "10s",
        "keep_firing_for": "0s", "labels": "severity: ticket", "annotations": "summary: {{ $labels.instance }} is up"}


def log_in(app, role: str):
    """A test client logged in through the form as a new user holding ``role``."""
    with app.app_context():
        auth.create_user(store.session(), name=f"page-{role}", password=PASSWORD, role=role)
    client = app.test_client()
    token = csrf(client, "/login")
    assert client.post("/login", data={"name": f"page-{role}", "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


def csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


@pytest.fixture
def rule_id(console) -> int:
    answer = console.client.post("/api/v1/rules", json={**RULE, "reason": "first"}, headers=console.operator)
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


@pytest.mark.parametrize("text, expected", [
    pytest.param("", {}, id="empty"),
    pytest.param("severity: page\n\nteam: sre", {"severity": "page", "team": "sre"}, id="lines"),
    pytest.param("summary: at 12:00 {{ $value }}", {"summary": "at 12:00 {{ $value }}"}, id="colon in value"),
])
def test_it_parses_name_value_lines(text, expected):
    assert parse_pairs(text, "labels") == expected


def test_it_points_form_problems_at_their_fields():
    rule, problems = form_rule({**FORM, "labels": "no colon here", "for": "5x"})
    assert rule is None and [(p.field, p.message) for p in problems] == [
        ("labels", "labels line 1: write it as 'name: value'"),
        ("for", "Value error, not a Prometheus duration: '5x' (use e.g. 30s, 5m, 1h30m)")]
    rule, problems = form_rule({**FORM, "for": "5x"})
    assert rule is None and field_problems(problems)["for"]
    assert form_rule(FORM) == (Rule.model_validate(RULE), [])


def test_it_lists_rules_with_their_live_state_for_viewers(console, rule_id):
    viewer = log_in(console.app, "viewer")
    html = viewer.get("/rules").get_data(as_text=True)
    assert ">pagetest</h2>" in html and f'href="/rules/{rule_id}">PrometheusSelfUp</a>' in html
    assert re.search(r'class="pill pill-(up|pending|down)">(inactive|pending|firing)<', html), html
    assert "v1</td>" in html and "New rule" not in html and "banner-down" not in html

    page = viewer.get(f"/rules/{rule_id}").get_data(as_text=True)
    assert "Read only" in page and "Save and apply" not in page and "Roll back" not in page
    assert 'id="f-expr"' in page and "readonly" in page


def test_it_shows_each_series_the_rule_holds_now(console):
    rule = {**RULE, "alert": "PrometheusSelfUpNow", "for": "0s", "reason": "live"}
    made = console.client.post("/api/v1/rules", json=rule, headers=console.operator)
    assert made.status_code == 201, made.json
    viewer = log_in(console.app, "viewer")
    page = eventually(lambda: (html := viewer.get(f"/rules/{made.json['id']}").get_data(as_text=True))
                      and 'id="active-alerts"' in html and html, timeout=30, what="the rule's alert on its page")
    now = page.split('id="now"')[1].split("</section>")[0]
    assert 'class="pill pill-down">firing<' in now and "1 active" in now
    assert re.search(r'<td class="num">1</td>', now) and 'job="prometheus"' in now and 'severity="ticket"' in now
    assert "alertname=" not in now  # the page's title names it already
    # the same through the API
    api = console.client.get(f"/api/v1/rules/{made.json['id']}/now", headers=console.viewer).json
    assert api["state"] == "firing" and api["health"] == "ok" and api["last_error"] is None
    [alert] = api["alerts"]
    assert alert["state"] == "firing" and alert["value"] == 1.0 and alert["labels"]["job"] == "prometheus"
    assert console.client.get("/api/v1/rules/999999/now", headers=console.viewer).status_code == 404


def test_it_refuses_edits_to_viewers_and_without_csrf(console, rule_id):
    viewer = log_in(console.app, "viewer")
    token = csrf(viewer, f"/rules/{rule_id}")
    form = {**FORM, "reason": "x", "csrf_token": token}
    assert viewer.post(f"/rules/{rule_id}", data=form).status_code == 403
    assert viewer.post(f"/rules/{rule_id}/rollback", data={"version": 1, "csrf_token": token}).status_code == 403
    assert viewer.get("/rules/new").status_code == 403
    operator = log_in(console.app, "operator")
    assert operator.post(f"/rules/{rule_id}", data={**FORM, "reason": "x"}).status_code == 400
    assert operator.post("/rules/validate", data=FORM).status_code == 400


def test_it_validates_inline_with_errors_at_their_fields(console, rule_id):
    viewer = log_in(console.app, "viewer")
    token = csrf(viewer, f"/rules/{rule_id}")
    bad = viewer.post("/rules/validate", data={**FORM, "expr": "sum(up", "csrf_token": token},
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "1 error(s)" in bad and "<html" not in bad
    assert re.search(r'id="err-expr"[^>]*hx-swap-oob="true"><div class="error">error: [^<]*unclosed left parenthesis', bad)
    good = viewer.post("/rules/validate", data={**FORM, "csrf_token": token}).get_data(as_text=True)
    assert "0 error(s)" in good or "Valid:" in good


def test_it_lists_every_problem_of_the_form_at_once(console, rule_id):
    viewer = log_in(console.app, "viewer")
    token = csrf(viewer, f"/rules/{rule_id}")
    form = {**FORM, "alert": "payments slow", "labels": "severity page", "expr": "sum(up) >", "csrf_token": token}
    bad = viewer.post("/rules/validate", data=form, headers={"HX-Request": "true"}).get_data(as_text=True)
    # the name, the labels and the expression: not one a click
    assert "3 error(s)" in bad
    assert re.search(r'id="err-alert"[^>]*><div class="error">error: String should match pattern', bad)
    assert re.search(r'id="err-labels"[^>]*><div class="error">error: labels line 1', bad)
    assert re.search(r'id="err-expr"[^>]*><div class="error">error: [^<]*unexpected end of input', bad)


def test_it_saves_diffs_and_rolls_back_through_the_store_and_prometheus(console, rule_id):
    operator = log_in(console.app, "operator")
    token = csrf(operator, f"/rules/{rule_id}")
    refused = operator.post(f"/rules/{rule_id}", data={**FORM, "for": "30s", "csrf_token": token})
    assert refused.status_code == 422 and "say why the rule changes" in refused.get_data(as_text=True)

    saved = operator.post(f"/rules/{rule_id}", data={**FORM, "for": "30s", "reason": "less noise", "csrf_token": token})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"/rules/{rule_id}?saved=2")
    page = operator.get(f"/rules/{rule_id}?saved=2").get_data(as_text=True)
    assert "Saved and applied: version 2" in page and "less noise" in page and 'value="30s"' in page

    diff = operator.get(f"/rules/{rule_id}/diff?a=1&b=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert '<span class="del">-for: 10s</span>' in diff and '<span class="add">+for: 30s</span>' in diff

    rolled = operator.post(f"/rules/{rule_id}/rollback", data={"version": 1, "csrf_token": token})
    assert rolled.status_code == 303
    current = console.client.get(f"/api/v1/rules/{rule_id}", headers=console.viewer).json
    assert (current["version"], current["for"]) == (3, "10s")
    with console.app.app_context():
        db = store.session()
        assert [v.reason for v in versions.history(db, rule_id)] == ["first", "less noise", "rollback to version 1"]
        audited = [(e.action, e.result, e.actor) for e in db.query(AuditEntry).filter(AuditEntry.target == f"rule:{rule_id}")]
    assert ("rules.update", "ok", "page-operator") in audited
    assert ("rules.rollback", "ok", "page-operator") in audited
    assert ("rules.update", "invalid_rule", "page-operator") in audited


def test_it_creates_a_rule_from_the_new_page(console):
    operator = log_in(console.app, "operator")
    token = csrf(operator, "/rules/new")
    created = operator.post("/rules/new", data={**FORM, "alert": "FromThePage", "reason": "try", "csrf_token": token})
    assert created.status_code == 303, created.get_data(as_text=True)
    listed = console.client.get("/api/v1/rules", headers=console.viewer).json["items"]
    assert [(r["alert"], r["version"]) for r in listed] == [("FromThePage", 1)]


def test_it_offers_the_existing_groups_on_the_group_field(console, rule_id):
    operator = log_in(console.app, "operator")
    html = operator.get("/rules/new").get_data(as_text=True)
    assert 'name="group" value="" list="groups"' in html
    assert re.search(r'<datalist id="groups">(.*?)</datalist>', html)[1] == '<option value="pagetest">'


def test_it_backtests_the_form_over_real_history(console, rule_id):
    viewer = log_in(console.app, "viewer")
    token = csrf(viewer, f"/rules/{rule_id}")
    html = viewer.post("/rules/backtest", data={**FORM, "for": "0s", "range": "1h", "csrf_token": token}).get_data(as_text=True)
    assert "alert(s) would have fired" in html and 'job="prometheus"' in html
    assert int(re.search(r"<strong>(\d+)</strong> alert\(s\)", html)[1]) >= 1


def test_it_shows_a_banner_when_prometheus_is_down_and_still_lists_the_store(stack, tmp_path):
    made = make_console(tmp_path, f"http://127.0.0.1:{free_port()}", {})
    try:
        with made.app.app_context():
            rule_id = versions.create(store.session(), Rule.model_validate(RULE), actor="test").id
            store.session().commit()
        viewer = log_in(made.app, "viewer")
        html = viewer.get("/rules").get_data(as_text=True)
        assert 'class="banner banner-down" role="alert">Live state unavailable' in html
        assert ">PrometheusSelfUp</a>" in html and "not loaded" in html
        page = viewer.get(f"/rules/{rule_id}")
        assert page.status_code == 200 and 'role="alert">Live state unavailable' in page.get_data(as_text=True)
        api = made.client.get(f"/api/v1/rules/{rule_id}/now", headers=made.viewer)
        assert api.status_code == 503 and api.json["error"] == "backend_unavailable"
    finally:
        shut(made)
