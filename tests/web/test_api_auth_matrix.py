"""The auth matrix, generated from the route table: every endpoint against every kind of caller."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from console import auth, store
from console.alerts.models import Incident
from console.web import api  # noqa: F401 - importing the API declares every endpoint in TABLE
from console.web.apiroutes import PREFIX, TABLE, Route

REFUSED = ("none", "wrong", "expired", "revoked")


@pytest.fixture
def scaling_home(stack) -> str:
    """The session's running stack (no replicas), so the scale endpoints' examples can succeed: a dry run, a read."""
    return str(stack.layout.home)
CALLERS = (*REFUSED, *auth.ROLES)
SESSION_ONLY = {f"POST {PREFIX}/me/password"}


def expected(route: Route, caller: str) -> str:
    """What the route's declaration says this caller gets: 401, 403, or "pass" (auth let it through)."""
    if route.token is not None:
        # a machine caller's endpoint takes its shared token only, never a user's
        return "pass" if caller == "shared" else "401"
    if route.public:
        return "pass"
    if caller in REFUSED:
        return "401"
    return "pass" if auth.role_allows(caller, route.role) else "403"


def undeclared(app) -> list[str]:
    """Every ``METHOD /api/v1/...`` the app serves that has no entry in the route table."""
    declared = {(r.method, r.path) for r in TABLE}
    return sorted(f"{method} {rule.rule}" for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIX)
                  for method in rule.methods - {"HEAD", "OPTIONS"} if (method, rule.rule) not in declared)


def call(client, app, creds, route: Route, caller: str):
    headers = {}
    if caller == "shared":
        headers = {"Authorization": f"Bearer {app.config[route.token]}"}
    elif caller in auth.ROLES:
        headers = creds.header(caller)
    elif caller != "none":
        headers = {"Authorization": f"Bearer {getattr(creds, caller)}"}
    body = route.body.model_json_schema()["examples"][0] if route.body else None
    query = route.query.model_json_schema().get("examples", [None])[0] if route.query else None
    return client.open(_path(app, route), method=route.method, headers=headers, json=body, query_string=query)


def _path(app, route: Route) -> str:
    """The route's path with each placeholder filled by something that exists."""
    fillers = {
        "<int:token_id>": lambda: fresh_token(app),
        "<int:rule_id>": lambda: stored_rule(app),
        "<trace_id>": lambda: "4bf92f3577b34da6a3ce929d0e0e4736",
        "<target>": lambda: "gateway",
        "<int:incident_id>": lambda: stored_incident(app),
        "<silence_id>": lambda: fresh_silence(app),
        "<int:policy_id>": lambda: stored_policy(app),
        "<name>": lambda: fresh_user(app),
    }
    return re.sub(r"<[^>]+>", lambda match: fillers[match.group(0)](), route.path)


def fresh_token(app) -> str:
    """The id of a fresh viewer token, so that revoking it can succeed."""
    with app.app_context():
        _, token = auth.create_token(store.session(), role="viewer", name="matrix victim")
    return str(token.id)


def fresh_user(app) -> str:
    """The name of a fresh viewer, so that changing them can succeed."""
    with app.app_context():
        db = store.session()
        return auth.create_user(db, name=f"matrix-{len(auth.list_users(db))}", password="a long password",
                                role="viewer").name


def stored_rule(app) -> str:
    """The id of a fresh stored (not yet applied) rule, so that changing or deleting it can succeed."""
    from console.rules import versions
    from console.rules.model import Rule

    with app.app_context():
        db = store.session()
        example = Rule.model_validate(Rule.model_json_schema()["examples"][0])
        count = len(versions.active(db))
        row = versions.create(db, example.model_copy(update={"alert": f"MatrixRule{count}"}), actor="matrix")
        db.commit()
        return str(row.id)


def fresh_silence(app) -> str:
    """The id of a fresh silence in the session's Alertmanager, of an alert no test raises, so expiring it can succeed."""
    from datetime import timedelta

    from console.backends import get_backend
    from console.backends.alertmanager import Matcher
    from console.store import utcnow

    with app.app_context():
        now = utcnow()
        return get_backend("alertmanager").create_silence(
            [Matcher("alertname", "MatrixNeverRaised")], now, now + timedelta(minutes=5), "matrix", "auth matrix")


def stored_policy(app) -> str:
    """The id of a scaling policy the app loaded from the repository's policies."""
    from console.scaling.models import PolicyRecord

    with app.app_context():
        return str(store.session().scalars(select(PolicyRecord).order_by(PolicyRecord.id)).first().id)


def stored_incident(app) -> str:
    """The id of a fresh open incident, so that acknowledging or resolving it can succeed."""
    from console.alerts.receive import Webhook, upsert
    from console.store import utcnow

    with app.app_context():
        db = store.session()
        example = Webhook.model_json_schema()["examples"][0]
        count = len(db.scalars(select(Incident)).all())
        outcome = upsert(db, Webhook.model_validate({**example, "groupKey": f"matrix-{count}"}), utcnow())
        db.commit()
        return str(outcome.incident.id)


@pytest.mark.parametrize("route", TABLE, ids=lambda r: f"{r.method} {r.path}")
def test_it_gives_each_caller_what_the_declared_role_says(app, client, creds, route):
    observed, statuses = {}, {}
    for caller in (*CALLERS, "shared") if route.token else CALLERS:
        response = call(client, app, creds, route, caller)
        statuses[caller] = response.status_code
        # a 403 of the role check says "forbidden"; others are the route's own refusals past auth (a wrong password)
        if response.status_code == 401 or response.status_code == 403 and response.json["error"] == "forbidden":
            observed[caller] = str(response.status_code)
            assert response.json["error"] and response.json["detail"]
            if response.status_code == 401:
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
        else:
            # past auth: any answer the route declares (a stopped backend is its declared 503), never another 5xx
            assert response.status_code < 500 or response.status_code in route.errors, response.get_data(as_text=True)
            observed[caller] = "pass"
    assert observed == {caller: expected(route, caller) for caller in observed}, statuses
    # passing auth is not enough: the example request must succeed for somebody (a password change only for a
    # logged-in user, which the matrix's token callers are not: tests/web/test_api_users.py has it succeed)
    if f"{route.method} {route.path}" not in SESSION_ONLY:
        assert any(200 <= status < 300 for status in statuses.values()), statuses


def test_it_declares_a_role_for_every_api_rule(app):
    assert undeclared(app) == []


def test_it_notices_an_api_rule_without_a_declared_role(app):
    app.add_url_rule(f"{PREFIX}/sneaky", "sneaky", lambda: "no role checked here", methods=["POST"])
    assert undeclared(app) == [f"POST {PREFIX}/sneaky"]


def test_it_refuses_to_declare_an_endpoint_without_a_role():
    from flask import Blueprint

    from console.web.apiroutes import route

    with pytest.raises(ValueError, match="exactly one of role"):
        route(Blueprint("x", __name__), "GET", "/x", summary="no role")
    with pytest.raises(ValueError, match="unknown role"):
        route(Blueprint("x", __name__), "GET", "/x", summary="bad role", role="root")
