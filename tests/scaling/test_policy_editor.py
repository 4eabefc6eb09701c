"""The policy editor: YAML in a form, every problem named at its field, versions stored like the API's, audited
under the API's action; the check shows what a valid policy's metrics read now on the real Prometheus."""
from __future__ import annotations

import re

import pytest
import yaml
from sqlalchemy import select

from console import store
from console.store.models import AuditEntry
from console.scaling import EXTENSION, service
from console.scaling.models import PolicyRecord
from console.scaling.policy import validate_policy
from kit import log_in
from scalekit import constant_policy

GATEWAY = constant_policy()


@pytest.fixture
def stored(app) -> int:
    """GATEWAY stored over the policy the app seeded from ``rules/scaling``; its version."""
    with app.app_context():
        return service.save_policy(store.session(), validate_policy(yaml.safe_load(GATEWAY)), actor="alice").version


def csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))[1]


def audit(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(r.action, r.target, r.result) for r in store.session().scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_it_shows_the_policy_read_only_to_viewers(app, stored):
    page = log_in(app, "viewer").get("/scaling/gateway/policy").get_data(as_text=True)
    assert "Read only" in page and "readonly" in page and "Save as version" not in page
    assert "query: vector(60)" in page and "averageValue: 20" in page
    editable = log_in(app, "operator", name="olive").get("/scaling/gateway/policy").get_data(as_text=True)
    assert f"Save as version {stored + 1}" in editable and "readonly" not in editable


def test_it_stores_the_next_version_and_sends_the_operator_to_the_target(app, client, stored):
    operator = log_in(app, "operator", name="olive")
    token = csrf(operator, "/scaling/gateway/policy")
    answer = operator.post("/scaling/gateway/policy",
                           data={"document": GATEWAY.replace("maxReplicas: 4", "maxReplicas: 6"), "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/scaling/gateway?saved={stored + 1}")
    with app.app_context():
        record = store.session().scalar(select(PolicyRecord).where(PolicyRecord.name == "gateway"))
        assert (record.version, record.document["spec"]["maxReplicas"], record.updated_by) == (stored + 1, 6, "olive")
    assert audit(app)[-1] == ("scale.save_policy", "scaling-policy:gateway", "ok")
    assert f"Policy saved: version {stored + 1}" in operator.get(answer.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("document, fields", [
    pytest.param("spec: [1", ["line 1"], id="YAML that does not parse, by line"),
    pytest.param(GATEWAY.replace("maxReplicas: 4", "maxReplicas: -1").replace("type: External", "type: Bogus"),
                 ["spec.maxReplicas", "spec.metrics.0.type"], id="every bad field, not only the first"),
    pytest.param(GATEWAY.replace("{name: gateway}\nspec", "{name: front}\nspec"), ["metadata.name"],
                 id="a new name is a new policy"),
    pytest.param(GATEWAY + "---\n" + GATEWAY, ["document"], id="one policy a page"),
])
def test_it_names_every_problem_and_keeps_the_text(app, stored, document, fields):
    operator = log_in(app, "operator", name="olive")
    token = csrf(operator, "/scaling/gateway/policy")
    answer = operator.post("/scaling/gateway/policy", data={"document": document, "csrf_token": token})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert [m for m in re.findall(r'<li class="error"><code>([^<]+)</code>', page)] == fields
    assert f"Save as version {stored + 1}" in page and document.splitlines()[0] in page
    assert audit(app)[-1] == ("scale.save_policy", "scaling-policy:" + ("front" if "front" in document else "gateway"),
                              "invalid_policy")


def test_it_creates_a_policy_and_refuses_a_second_for_one_target(app, stored):
    operator = log_in(app, "operator", name="olive")
    token = csrf(operator, "/scaling/policies/new")
    orders = GATEWAY.replace("gateway", "orders")
    created = operator.post("/scaling/policies/new", data={"document": orders, "csrf_token": token})
    assert created.status_code == 303 and created.headers["Location"].endswith("/scaling/orders?saved=1")
    twice = operator.post("/scaling/policies/new", data={"document": orders, "csrf_token": token})
    assert twice.status_code == 422 and "a policy named orders exists" in twice.get_data(as_text=True)
    rival = operator.post("/scaling/policies/new", data={"document": GATEWAY.replace("{name: gateway}\nspec",
                                                                                     "{name: rival}\nspec"),
                                                         "csrf_token": token})
    assert rival.status_code == 409 and "gateway already scales it" in rival.get_data(as_text=True)


def test_it_refuses_changes_to_viewers_without_csrf_and_for_unknown_targets(app, stored):
    viewer = log_in(app, "viewer")
    token = csrf(viewer, "/scaling/gateway/policy")
    assert viewer.post("/scaling/gateway/policy", data={"document": GATEWAY, "csrf_token": token}).status_code == 403
    assert viewer.get("/scaling/policies/new").status_code == 403
    operator = log_in(app, "operator", name="olive")
    assert operator.post("/scaling/gateway/policy", data={"document": GATEWAY}).status_code == 400
    assert operator.get("/scaling/nobody/policy").status_code == 404
    too_big = operator.post("/scaling/gateway/policy",
                            data={"document": "#" * 70_000, "csrf_token": csrf(operator, "/scaling/gateway/policy")})
    assert too_big.status_code == 413


def test_it_checks_as_you_type_with_what_the_metrics_read_now(make_app, memory, tmp_path):
    app = make_app(SCALING_HOME=str(tmp_path / "home"))
    app.extensions[EXTENSION] = memory
    viewer = log_in(app, "viewer")
    token = csrf(viewer, "/scaling")
    bad = viewer.post("/scaling/policies/validate", data={"document": "spec: [1", "csrf_token": token},
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "1 problem(s)" in bad and "<html" not in bad
    good = viewer.post("/scaling/policies/validate", data={"document": GATEWAY, "csrf_token": token},
                       headers={"HX-Request": "true"}).get_data(as_text=True)
    # the real Prometheus answers vector(60): 60 against 20 a replica asks for 3
    assert "Valid." in good and "runs 1 now" in good
    assert re.search(r'data-metric="constant_load">.*?<td class="num">60</td><td class="num">20</td>\s*<td class="num">3',
                     good, re.S), good


def test_it_keeps_every_version_to_compare_and_roll_back(app, stored):
    operator = log_in(app, "operator", name="olive")
    token = csrf(operator, "/scaling/gateway/policy")
    operator.post("/scaling/gateway/policy",
                  data={"document": GATEWAY.replace("maxReplicas: 4", "maxReplicas: 6"), "csrf_token": token})
    page = operator.get("/scaling/gateway/policy").get_data(as_text=True)
    assert re.findall(r'<tr data-version="(\d+)">', page) == [str(v) for v in range(stored + 1, 0, -1)]
    assert f"diff from v{stored}" in page and f"Roll back to v{stored}" in page

    diff = operator.get(f"/scaling/gateway/policy/diff?a={stored}&b={stored + 1}", headers={"HX-Request": "true"})
    text = diff.get_data(as_text=True)
    assert "<html" not in text
    assert re.search(r'class="del">-  maxReplicas: 4<', text) and re.search(r'class="add">\+  maxReplicas: 6<', text)
    assert operator.get(f"/scaling/gateway/policy/diff?a={stored}&b=99").status_code == 404

    rolled = operator.post("/scaling/gateway/policy/rollback", data={"version": stored, "csrf_token": token})
    assert rolled.status_code == 303 and rolled.headers["Location"].endswith(f"saved={stored + 2}")
    with app.app_context():
        record = store.session().scalar(select(PolicyRecord).where(PolicyRecord.name == "gateway"))
        assert (record.version, record.document["spec"]["maxReplicas"]) == (stored + 2, 4)
    viewer = log_in(app, "viewer")
    assert viewer.post("/scaling/gateway/policy/rollback",
                       data={"version": 1, "csrf_token": csrf(viewer, "/scaling/gateway/policy")}).status_code == 403
