"""The service functions other modules call, without HTTP."""

from datetime import UTC
from datetime import datetime

import pytest

from arrowhead_lite.errors import BadPayload
from arrowhead_lite.errors import NotFound
from arrowhead_lite.registry.entries import purge_expired
from arrowhead_lite.registry.entries import register_entry
from arrowhead_lite.registry.records import find_or_create_definition
from arrowhead_lite.registry.records import find_or_create_interfaces
from arrowhead_lite.registry.systems import create_system
from arrowhead_lite.registry.systems import delete_system
from arrowhead_lite.registry.systems import find_system
from arrowhead_lite.registry.systems import get_system
from tests.registry.support import register


def _system(name="sensor", port=1):
    return {
        "system_name": name,
        "address": "127.0.0.1",
        "port": port,
        "authentication_info": None,
        "metadata": None,
    }


def test_find_or_create_definition_once(app):
    with app.app_context():
        first = find_or_create_definition(" Lamp ")
        second = find_or_create_definition("lamp")
        assert first.id == second.id
        assert first.service_definition == "lamp"


def test_find_or_create_interfaces_order(app):
    with app.app_context():
        interfaces = find_or_create_interfaces(
            ["mqtt-secure-json", "HTTP-SECURE-JSON", "MQTT-SECURE-JSON"]
        )
        assert [item.interface_name for item in interfaces] == [
            "MQTT-SECURE-JSON",
            "HTTP-SECURE-JSON",
        ]
        assert interfaces[1].id == 1


def test_find_or_create_interfaces_invalid(app):
    with app.app_context(), pytest.raises(BadPayload):
        find_or_create_interfaces(["HTTP"])


def test_find_system_normalises(app):
    with app.app_context():
        assert find_system("sensor", "127.0.0.1", 1) is None
        system = create_system(_system())
        assert find_system(" SENSOR ", "127.0.0.1", 1).id == system.id


def test_get_and_delete_system(app):
    with app.app_context():
        system = create_system(_system())
        assert get_system(system.id).system_name == "sensor"
        delete_system(system.id)
        with pytest.raises(NotFound):
            get_system(system.id)


def test_register_entry_with_loaded_data(app):
    data = {
        "service_definition": "lamp",
        "provider_system": _system(),
        "interfaces": ["HTTP-INSECURE-JSON"],
    }
    with app.app_context():
        entry = register_entry(data)
        assert entry.version == 1
        assert entry.service_uri == ""
        assert entry.secure == "NOT_SECURE"


def test_purge_expired_returns_count(app, client):
    register(client, port=1, endOfValidity="2020-01-01T00:00:00Z")
    register(client, port=2, endOfValidity="2030-01-01T00:00:00Z")
    with app.app_context():
        assert purge_expired(datetime(2025, 1, 1, tzinfo=UTC)) == 1
        assert purge_expired(datetime(2025, 1, 1, tzinfo=UTC)) == 0
        assert purge_expired(datetime(2031, 1, 1, tzinfo=UTC)) == 1
