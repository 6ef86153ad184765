"""Who may call each /authorization endpoint in a secure TLS mode."""

import pytest

from tests import helpers

RULES = "/authorization/mgmt/intracloud"


def call(client, method, path, system, **kwargs):
    kwargs.setdefault("environ_overrides", helpers.caller(system))
    return client.open(path, method=method, **kwargs)


@pytest.mark.parametrize("system", ["sysop", "onboardingcontroller", "mscv"])
def test_rule_list_allowed(secure_client, system):
    assert call(secure_client, "GET", RULES, system).status_code == 200


@pytest.mark.parametrize("system", ["consumer", "orchestrator"])
def test_rule_list_denied(secure_client, system):
    assert call(secure_client, "GET", RULES, system).status_code == 401


@pytest.mark.parametrize("system", ["sysop", "onboardingcontroller", "mscv"])
def test_rule_create_allowed(secure_client, system):
    response = call(secure_client, "POST", RULES, system, json={"consumerId": 1})

    assert response.status_code == 400


def test_rule_create_denied(secure_client):
    response = call(secure_client, "POST", RULES, "consumer", json={"consumerId": 1})

    assert response.status_code == 401


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_rule_by_id_sysop_only(secure_client, method):
    path = f"{RULES}/1"

    assert call(secure_client, method, path, "sysop").status_code == 400
    assert call(secure_client, method, path, "onboardingcontroller").status_code == 401
    assert call(secure_client, method, path, "consumer").status_code == 401


@pytest.mark.parametrize(
    ("system", "status"),
    [("orchestrator", 400), ("gatekeeper", 400), ("consumer", 401), ("sysop", 401)],
)
def test_check_access(secure_client, system, status):
    response = call(
        secure_client, "POST", "/authorization/intracloud/check", system, json={}
    )

    assert response.status_code == status


@pytest.mark.parametrize(
    ("system", "status"),
    [("orchestrator", 400), ("choreographer", 400), ("consumer", 401), ("sysop", 401)],
)
@pytest.mark.parametrize("path", ["/authorization/token", "/authorization/token/multi"])
def test_token_access(secure_client, path, system, status):
    body = [] if path.endswith("multi") else {}

    response = call(secure_client, "POST", path, system, json=body)

    assert response.status_code == status


@pytest.mark.parametrize("path", ["/authorization/echo", "/authorization/publickey"])
def test_open_endpoints(secure_client, path):
    assert call(secure_client, "GET", path, "consumer").status_code == 200


def test_certificate_required(secure_client):
    response = secure_client.get("/authorization/publickey")

    assert response.status_code == 401


def test_intercloud_not_routed(client):
    assert client.get("/authorization/mgmt/intercloud").status_code == 404
