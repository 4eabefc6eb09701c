"""schemathesis over the whole OpenAPI document, against the app served over real HTTP, as an admin."""
from __future__ import annotations

import copy

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from console.web import api  # noqa: F401 - importing the API declares every endpoint
from console.web.api_docs import document

from apikit import ALERTMANAGER_TOKEN

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# the document as the code generates it; the fixture checks the live server serves the same one
# (schemathesis' lazy from_fixture loader does not work with this pytest)
schema = schemathesis.openapi.from_dict(copy.deepcopy(document()))


@pytest.fixture
def live_api(live_url):
    served = httpx.get(f"{live_url}/api/v1/openapi.json", timeout=10).json()
    assert served == document()
    return live_url


@schema.parametrize()
# bounded: a few examples per operation keep users and tokens created (and the run time) small
@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_it_keeps_to_its_openapi_document(case, creds, live_api):
    checks = CHECKS
    scales = case.path in ("/api/v1/scale", "/api/v1/scale/{target}")
    if scales:
        # this app's executor acts on a home where no stack runs: its documented answer is a 503
        checks = [check for check in CHECKS if check is not not_a_server_error]
    # the webhook takes Alertmanager's token, not a user's: give it that, so its payload checks are exercised
    headers = ({"Authorization": f"Bearer {ALERTMANAGER_TOKEN}"} if case.path.endswith("/alertmanager/webhook")
               else creds.header("admin"))
    response = case.call_and_validate(base_url=live_api, headers=headers, checks=checks, timeout=10)
    if scales and response.status_code >= 500:
        assert (response.status_code, response.json()["error"]) == (503, "stack_not_running")
