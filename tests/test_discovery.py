"""Publication of the core services in the registry: flask core publish."""

import base64
import os

from cryptography.hazmat.primitives import serialization
from cryptography.x509 import load_der_x509_certificate
from sqlalchemy import func
from sqlalchemy import select

from arrowhead_lite import discovery
from arrowhead_lite.extensions import db
from arrowhead_lite.registry.models import ServiceRegistryEntry
from arrowhead_lite.registry.models import System
from tests import helpers

CORE_SYSTEMS = {"serviceregistry", "authorization", "orchestrator"}


def _serve_every_core_path(app) -> None:
    """Route the core service paths that no merged blueprint serves yet."""
    adapter = app.url_map.bind("localhost")
    for index, service in enumerate(discovery.CORE_SERVICES):
        if discovery.is_routed(adapter, service):
            continue
        app.add_url_rule(
            service.uri,
            endpoint=f"test_core_{index}",
            view_func=lambda **kwargs: ("", 200),
            methods=[service.method],
        )


def _publish(app):
    _serve_every_core_path(app)
    with app.app_context():
        return discovery.publish_core_services(app)


def _entries(app) -> list[dict]:
    with app.app_context():
        entries = db.session.execute(select(ServiceRegistryEntry)).scalars().all()
        return [
            {
                "id": entry.id,
                "definition": entry.service_definition.service_definition,
                "system": entry.provider.system_name,
                "address": entry.provider.address,
                "port": entry.provider.port,
                "authenticationInfo": entry.provider.authentication_info,
                "uri": entry.service_uri,
                "secure": entry.secure,
                "interfaces": [item.interface_name for item in entry.interfaces],
            }
            for entry in entries
        ]


def _system_count(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count(System.id))).scalar_one()


def _write_server_certificate(app) -> str:
    folder = app.config["ARROWHEAD_CERTS_DIR"]
    os.makedirs(folder, exist_ok=True)
    der = helpers.certificate_der(f"server.{helpers.CLOUD_CN}")
    certificate = load_der_x509_certificate(der)
    with open(os.path.join(folder, "server.pem"), "wb") as pem:
        pem.write(certificate.public_bytes(serialization.Encoding.PEM))
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(spki).decode()


def test_publish_registers_every_core_service(app):
    _publish(app)
    definitions = {entry["definition"] for entry in _entries(app)}
    expected = {service.definition for service in discovery.CORE_SERVICES}
    assert definitions == expected


def test_publish_uses_public_address_and_port(make_app):
    app = make_app(ARROWHEAD_PUBLIC_ADDRESS="10.0.0.5", ARROWHEAD_PUBLIC_PORT=9443)
    _publish(app)
    places = {(entry["address"], entry["port"]) for entry in _entries(app)}
    assert places == {("10.0.0.5", 9443)}


def test_publish_names_core_systems_as_providers(app):
    _publish(app)
    assert {entry["system"] for entry in _entries(app)} == CORE_SYSTEMS


def test_publish_uses_real_paths(app):
    _publish(app)
    uris = {entry["definition"]: entry["uri"] for entry in _entries(app)}
    assert uris["orchestration-service"] == "/orchestrator/orchestration"
    assert uris["auth-public-key"] == "/authorization/publickey"
    assert uris["service-register"] == "/serviceregistry/register"


def test_publish_in_off_mode_is_insecure(app):
    _publish(app)
    for entry in _entries(app):
        assert entry["secure"] == "NOT_SECURE"
        assert entry["interfaces"] == ["HTTP-INSECURE-JSON"]
        assert entry["authenticationInfo"] is None


def test_publish_in_secure_mode_uses_certificate(secure_app):
    _publish(secure_app)
    for entry in _entries(secure_app):
        assert entry["secure"] == "CERTIFICATE"
        assert entry["interfaces"] == ["HTTP-SECURE-JSON"]


def test_publish_sends_server_public_key(secure_app):
    key = _write_server_certificate(secure_app)
    _publish(secure_app)
    keys = {entry["authenticationInfo"] for entry in _entries(secure_app)}
    assert keys == {key}


def test_publish_without_server_certificate_has_no_key(secure_app):
    _publish(secure_app)
    keys = {entry["authenticationInfo"] for entry in _entries(secure_app)}
    assert keys == {None}


def test_publish_twice_changes_nothing(app):
    _publish(app)
    first = _entries(app)

    result = _publish(app)

    assert _entries(app) == first
    assert result.removed_systems == 0
    assert result.removed_entries == 0


def test_publish_replaces_records_when_port_changes(make_app, database):
    old = make_app(ARROWHEAD_PUBLIC_PORT=8443)
    _publish(old)

    new = make_app(ARROWHEAD_PUBLIC_PORT=9443)
    result = _publish(new)

    assert result.removed_systems == len(CORE_SYSTEMS)
    assert {entry["port"] for entry in _entries(new)} == {9443}
    assert _system_count(new) == len(CORE_SYSTEMS)


def test_publish_switches_security_with_mode(make_app):
    insecure = make_app()
    _publish(insecure)

    secure = make_app(ARROWHEAD_TLS_MODE="direct")
    _publish(secure)

    assert {entry["secure"] for entry in _entries(secure)} == {"CERTIFICATE"}


def test_publish_skips_systems_of_disabled_blueprints(make_app):
    app = make_app(ARROWHEAD_BLUEPRINTS=["registry", "orchestrator"])
    _publish(app)
    assert "authorization" not in {entry["system"] for entry in _entries(app)}


def test_publish_skips_paths_that_are_not_routed(app):
    with app.app_context():
        served = discovery.served_services(app)
    adapter = app.url_map.bind("localhost")
    assert all(discovery.is_routed(adapter, service) for service in served)


def test_app_start_publishes_nothing(app):
    assert _system_count(app) == 0


def test_cli_publish_command(app):
    _serve_every_core_path(app)
    result = app.test_cli_runner().invoke(args=["core", "publish"])
    assert result.exit_code == 0, result.output
    assert "Published" in result.output
    assert {entry["system"] for entry in _entries(app)} == CORE_SYSTEMS


def _query(client, definition: str, caller: str):
    return client.post(
        "/serviceregistry/query",
        json={"serviceDefinitionRequirement": definition},
        environ_overrides=helpers.caller(caller),
    )


def test_application_finds_orchestration_service(secure_app):
    _publish(secure_app)
    response = _query(secure_app.test_client(), "orchestration-service", "consumer")
    assert response.status_code == 200, response.json
    hits = response.json["serviceQueryData"]
    assert [hit["serviceUri"] for hit in hits] == ["/orchestrator/orchestration"]
    assert hits[0]["provider"]["systemName"] == "orchestrator"


def test_application_finds_auth_public_key(secure_app):
    _publish(secure_app)
    response = _query(secure_app.test_client(), "auth-public-key", "consumer")
    hits = response.json["serviceQueryData"]
    assert [hit["serviceUri"] for hit in hits] == ["/authorization/publickey"]


def test_application_cannot_query_private_core_service(secure_app):
    _publish(secure_app)
    response = _query(secure_app.test_client(), "token-generation", "consumer")
    assert response.status_code == 401


def test_app_serves_main_core_services(app):
    served = {service.definition for service in discovery.served_services(app)}
    expected = {
        "service-register",
        "service-unregister",
        "register-system",
        "unregister-system",
        "pull-systems",
        "service-query",
        "authorization-control-intra",
        "token-generation",
        "token-generation-multi-service",
        "auth-public-key",
        "orchestration-service",
    }
    assert expected <= served
