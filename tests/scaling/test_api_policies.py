"""``GET|POST /api/v1/scaling/policies``: the policies of ``rules/scaling`` seeded, validation naming the field."""
from __future__ import annotations

POLICY = {"metadata": {"name": "orders"}, "spec": {"scaleTargetRef": {"name": "orders"}, "maxReplicas": 3}}


def test_it_seeds_the_store_with_the_policy_files(client, headers):
    items = client.get("/api/v1/scaling/policies", headers=headers["viewer"]).json["items"]
    assert [(p["name"], p["target"], p["version"]) for p in items] == [
        ("catalog", "catalog", 1), ("gateway", "gateway", 1), ("payments", "payments", 1)]


def test_it_stores_a_new_version_when_a_policy_changes(client, headers):
    first = client.post("/api/v1/scaling/policies", json=POLICY, headers=headers["operator"])
    same = client.post("/api/v1/scaling/policies", json=POLICY, headers=headers["operator"])
    changed = client.post("/api/v1/scaling/policies", json={**POLICY, "spec": {**POLICY["spec"], "maxReplicas": 5}},
                          headers=headers["operator"])
    assert [r.json["version"] for r in (first, same, changed)] == [1, 1, 2]
    assert changed.json["document"]["spec"]["maxReplicas"] == 5


def test_it_names_the_bad_field(client, headers):
    bad = {**POLICY, "spec": {**POLICY["spec"], "behavior": {"scaleUp": {"selectPolicy": "Fastest"}}}}
    response = client.post("/api/v1/scaling/policies", json=bad, headers=headers["operator"])
    assert response.status_code == 422
    assert response.json["detail"][0]["loc"] == ["spec", "behavior", "scaleUp", "selectPolicy"]


def test_it_refuses_a_second_policy_for_the_same_target(client, headers):
    other = {"metadata": {"name": "front"}, "spec": {"scaleTargetRef": {"name": "gateway"}, "maxReplicas": 2}}
    response = client.post("/api/v1/scaling/policies", json=other, headers=headers["operator"])
    assert response.status_code == 409


def test_it_lets_only_operators_write_policies(client, headers):
    assert client.post("/api/v1/scaling/policies", json=POLICY, headers=headers["viewer"]).status_code == 403
