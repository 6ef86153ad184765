"""Deleting registry rows through the registry endpoints removes their rules."""

import pytest

from tests import helpers

RULES = "/authorization/mgmt/intracloud"
REGISTRY = "/serviceregistry/mgmt"


@pytest.fixture
def rule_ids(client):
    """Register two systems, a definition and an interface; create one rule."""
    consumer = client.post(f"{REGISTRY}/systems", json=helpers.system_body("consumer"))
    provider = client.post(
        f"{REGISTRY}/systems", json=helpers.system_body("provider", 9000)
    )
    definition = client.post(
        f"{REGISTRY}/services", json={"serviceDefinition": "temperature"}
    )
    interface = client.post(
        f"{REGISTRY}/interfaces", json={"interfaceName": "COAP-SECURE-CBOR"}
    )
    ids = {
        "consumer": consumer.json["id"],
        "provider": provider.json["id"],
        "definition": definition.json["id"],
        "interface": interface.json["id"],
    }
    created = client.post(
        RULES,
        json={
            "consumerId": ids["consumer"],
            "providerIds": [ids["provider"]],
            "serviceDefinitionIds": [ids["definition"]],
            "interfaceIds": [ids["interface"], 1],
        },
    )
    ids["rule"] = created.json["data"][0]["id"]
    return ids


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("systems", "consumer"),
        ("systems", "provider"),
        ("services", "definition"),
    ],
)
def test_registry_delete_removes_rule(client, rule_ids, path, key):
    deleted = client.delete(f"{REGISTRY}/{path}/{rule_ids[key]}")

    assert deleted.status_code == 200
    assert client.get(RULES).json["count"] == 0


def test_registry_interface_delete_unlinks(client, rule_ids):
    deleted = client.delete(f"{REGISTRY}/interfaces/{rule_ids['interface']}")

    interfaces = client.get(f"{RULES}/{rule_ids['rule']}").json["interfaces"]
    assert deleted.status_code == 200
    assert [item["id"] for item in interfaces] == [1]
