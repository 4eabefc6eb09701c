"""``/api/v1/audit`` and the audit page: newest first, paged by ``before_id``, for admins only."""
from __future__ import annotations

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
