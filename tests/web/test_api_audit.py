"""``/api/v1/audit`` and the audit page: newest first, paged by ``before_id``, for admins only."""
from __future__ import annotations

import pytest
from apikit import log_in


def make_entries(client, creds, count: int) -> None:
    for n in range(count):
        client.post("/api/v1/tokens", headers=creds.header("admin"), json={"name": f"t{n}", "role": "viewer"})


def test_it_pages_newest_first(client, creds):
    make_entries(client, creds, 5)
    first = client.get("/api/v1/audit?limit=3", headers=creds.header("admin")).json
    ids = [e["id"] for e in first["items"]]
    assert ids == sorted(ids, reverse=True) and first["next_before_id"] == ids[-1]
    rest = client.get(f"/api/v1/audit?limit=3&before_id={ids[-1]}", headers=creds.header("admin")).json
    assert all(e["id"] < ids[-1] for e in rest["items"])
    everything = client.get("/api/v1/audit?limit=500", headers=creds.header("admin")).json
    assert everything["next_before_id"] is None
    assert [e["id"] for e in everything["items"]][: len(ids)] == ids


def test_it_shows_the_audit_page_to_admins_with_load_more(client, creds):
    make_entries(client, creds, 3)
    log_in(client, "alice")
    page = client.get("/audit?limit=2")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "tokens.create" in html and "Load more" in html
    assert 'href="/audit"' in client.get("/api/v1/docs").get_data(as_text=True)
    more = client.get("/audit?limit=2&before_id=3", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in more and "<tr" in more


def test_it_hides_the_audit_page_from_non_admins(client, creds):
    log_in(client, "bob")
    assert client.get("/audit").status_code == 403
    assert 'href="/audit"' not in client.get("/api/v1/docs").get_data(as_text=True)


def test_it_sends_anonymous_visitors_of_the_audit_page_to_log_in(client, creds):
    response = client.get("/audit")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def record(app, *entries: tuple[str, str, str, str]) -> None:
    """Audit entries as (actor, action, target, result), oldest first."""
    from console import auth
    from console.auth import Principal

    with app.app_context():
        for actor, action, target, result in entries:
            auth.record_audit(principal=Principal(name=actor, role="admin", via="session"), action=action,
                              target=target, result=result, source="127.0.0.1", detail={"reason": f"{action} {target}"})


CAST_OF_ENTRIES = (("bob", "rules.update", "rule:1", "ok"), ("bob", "rules.delete", "rule:12", "not_found"),
                   ("carol", "rules.update", "rule:12", "ok"), ("carol", "incidents.ack", "incident:1", "ok"),
                   ("bob", "rulesets.update", "ruleset:1", "ok"), ("carol", "scale.scale", "scale:gateway", "failed"))


@pytest.mark.parametrize("filters, expected", [
    ({"actor": "carol"}, [("carol", "scale.scale"), ("carol", "incidents.ack"), ("carol", "rules.update")]),
    # an area is the part before the dot: rulesets is not rules
    ({"action": "rules"}, [("carol", "rules.update"), ("bob", "rules.delete"), ("bob", "rules.update")]),
    ({"action": "rules.update"}, [("carol", "rules.update"), ("bob", "rules.update")]),
    ({"target": "rule:1"}, [("bob", "rules.update")]),  # exactly: rule:12 is another rule
    ({"target": "incident:"}, [("carol", "incidents.ack")]),
    ({"result": "failed"}, [("carol", "scale.scale")]),
    ({"actor": "bob", "target": "rule:12"}, [("bob", "rules.delete")]),
    ({"actor": "nobody"}, []),
], ids=["by actor", "by area", "by action", "by target", "by kind of target", "by result", "both", "no match"])
def test_it_filters_the_log(app, client, creds, filters, expected):
    record(app, *CAST_OF_ENTRIES)
    page = client.get("/api/v1/audit", query_string=filters, headers=creds.header("admin")).json
    assert [(e["actor"], e["action"]) for e in page["items"]] == expected


def test_it_pages_on_within_a_filter(app, client, creds):
    record(app, *CAST_OF_ENTRIES)
    first = client.get("/api/v1/audit?actor=carol&limit=2", headers=creds.header("admin")).json
    rest = client.get(f"/api/v1/audit?actor=carol&limit=2&before_id={first['next_before_id']}",
                      headers=creds.header("admin")).json
    assert [e["action"] for e in first["items"] + rest["items"]] == ["scale.scale", "incidents.ack", "rules.update"]
    assert rest["next_before_id"] is None


@pytest.mark.parametrize("query", ["action=Rules!", "result=not ok", "actor=", "colour=red", "target=" + "x" * 256])
def test_it_refuses_a_bad_filter(client, creds, query):
    answer = client.get(f"/api/v1/audit?{query}", headers=creds.header("admin"))
    assert answer.status_code == 422 and answer.json["error"] == "validation_failed"


def test_it_filters_the_page_and_keeps_the_filter_when_it_loads_more(app, client, creds):
    record(app, *CAST_OF_ENTRIES)
    log_in(client, "alice")
    html = client.get("/audit?actor=carol&action=&target=&result=&limit=2").get_data(as_text=True)
    assert 'value="carol"' in html and "show everything" in html
    assert "incidents.ack" in html and "rules.delete" not in html
    assert "/audit?before_id=" in html and "actor=carol" in html.split('id="audit-more"')[1]
    # each who, action and target leads to the log filtered by it; the detail is shown
    assert 'href="/audit?action=scale.scale"' in html and 'href="/audit?target=scale:gateway"' in html
    assert "reason=<code>scale.scale scale:gateway</code>" in html
    assert "Nothing recorded matches these filters." in client.get("/audit?actor=nobody").get_data(as_text=True)


def test_it_names_a_bad_filter_on_the_page(client, creds):
    log_in(client, "alice")
    answer = client.get("/audit?action=Rules!")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "Bad filter: action:" in html and 'value="Rules!"' in html
