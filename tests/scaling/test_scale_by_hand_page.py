"""Scaling by hand from a target's page: operators only, with a reason; the same checks, record, override and
audit as ``POST /api/v1/scale``; a refusal names why above the form, never a 500."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from console import store
from console.scaling.models import ScaleRecord
from console.store import AuditEntry
from kit import log_in


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def scale(client, form: dict):
    token = csrf(client.get("/scaling/gateway").get_data(as_text=True))
    return client.post("/scaling/gateway/scale", data={**form, "csrf_token": token})


def audited(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(e.action, e.target, e.result) for e in store.session().scalars(
            select(AuditEntry).where(AuditEntry.action == "scale.scale").order_by(AuditEntry.id))]


def test_it_offers_the_form_to_operators_only(offline):
    viewer = log_in(offline)
    assert 'id="scale-now"' not in viewer.get("/scaling/gateway").get_data(as_text=True)
    assert scale(viewer, {"replicas": "2", "reason": "x"}).status_code == 403
    page = log_in(offline, "operator", name="bob").get("/scaling/gateway").get_data(as_text=True)
    form = page.split('id="scale-now"')[1].split("</form>")[0]
    assert 'min="1" max="4"' in form and 'name="reason"' in form and "required" in form


@pytest.mark.parametrize("form, status, problem, result", [
    ({"replicas": "2", "reason": " "}, 422, "Not scaled: reason:", None),
    ({"replicas": "two", "reason": "release"}, 422, "Not scaled: replicas:", None),
    ({"replicas": "9", "reason": "release"}, 422, "Not scaled: gateway takes 1..4 replicas by its policy, not 9",
     "out_of_bounds"),
    ({"replicas": "2", "reason": "release"}, 503, "Not scaled: ", "stack_not_running"),
], ids=["no reason", "not a number", "out of bounds", "stack down"])
def test_it_names_why_it_did_not_scale(offline, form, status, problem, result):
    bob = log_in(offline, "operator", name="bob")
    answer = scale(bob, form)
    html = answer.get_data(as_text=True)
    assert answer.status_code == status and f'role="alert">{problem}' in html
    assert f'value="{form["reason"].strip()}"' in html  # what was typed stays in the form
    assert audited(offline) == ([("scale.scale", "scale:gateway", result)] if result else [])


def test_it_records_a_dry_run_and_shows_it(make_app, stack):
    app = make_app(SCALING_HOME=str(stack.layout.home))
    bob = log_in(app, "operator", name="bob")
    answer = scale(bob, {"replicas": "3", "reason": "rehearse the release", "dry_run": "on"})
    assert answer.status_code == 303
    with app.app_context():
        [made] = store.session().scalars(select(ScaleRecord).where(ScaleRecord.target == "gateway")).all()
        assert (made.actor, made.kind, made.to_replicas, made.dry_run, made.result) == (
            "bob", "manual", 3, True, "dry_run")
    assert answer.headers["Location"].endswith(f"/scaling/gateway?scaled={made.id}")
    page = bob.get(answer.headers["Location"]).get_data(as_text=True)
    assert f"Dry run: gateway would go from {made.from_replicas} to 3 replica(s); nothing changed." in page
    assert "rehearse the release" in page  # in the decision records
    assert audited(app) == [("scale.scale", "scale:gateway", "ok")]
