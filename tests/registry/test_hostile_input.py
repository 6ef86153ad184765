"""Hostile request bodies: each gets a 4xx error body and stores nothing."""

import json

import pytest

from tests import helpers
from tests.registry.support import assert_error
from tests.registry.support import row_counts

ENDPOINTS = (
    "/serviceregistry/register",
    "/serviceregistry/mgmt",
    "/serviceregistry/mgmt/services",
    "/serviceregistry/mgmt/systems",
    "/serviceregistry/register-system",
    "/serviceregistry/query",
)


def _entry(**changes):
    body = helpers.entry_body(
        "temperature", "sensor", interfaces=("HTTP-INSECURE-JSON",)
    )
    body.update(changes)
    return body


def _entry_with_provider(**changes):
    body = _entry()
    body["providerSystem"].update(changes)
    return body


RAW_BODIES = {
    "truncated": b'{"serviceDefinition": "temperature", "providerSystem": {',
    "empty": b"",
    "whitespace": b"   ",
    "array": b"[1, 2, 3]",
    "string": b'"temperature"',
    "number": b"42",
    "null": b"null",
    "not-utf8": b'{"serviceDefinition": "\xff\xfe"}',
    "deep-nesting": b"[" * 5000 + b"]" * 5000,
}


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("name", sorted(RAW_BODIES))
def test_malformed_body_is_400(app, client, path, name):
    before = row_counts(app)
    response = client.post(path, data=RAW_BODIES[name], content_type="application/json")
    assert_error(response, 400)
    assert row_counts(app) == before


@pytest.mark.parametrize("path", ENDPOINTS)
def test_wrong_content_type_is_415(app, client, path):
    before = row_counts(app)
    response = client.post(path, data=json.dumps(_entry()), content_type="text/plain")
    assert_error(response, 415)
    assert row_counts(app) == before


@pytest.mark.parametrize("path", ENDPOINTS)
def test_form_body_is_415(app, client, path):
    response = client.post(path, data={"serviceDefinition": "temperature"})
    assert_error(response, 415)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_body_over_limit_is_413(make_app, path):
    app = make_app(ARROWHEAD_MAX_BODY_BYTES=4096)
    client = app.test_client()
    body = _entry(metadata={"padding": "x" * 8000})
    before = row_counts(app)
    response = client.post(path, json=body)
    assert_error(response, 413)
    assert row_counts(app) == before


HOSTILE_ENTRIES = {
    "port-string": _entry_with_provider(port="8080"),
    "port-boolean": _entry_with_provider(port=True),
    "port-float": _entry_with_provider(port=8080.0),
    "port-negative": _entry_with_provider(port=-1),
    "port-too-big": _entry_with_provider(port=65536),
    "port-huge": _entry_with_provider(port=10**30),
    "version-float": _entry(version=1.5),
    "version-boolean": _entry(version=True),
    "version-too-big": _entry(version=2**31),
    "version-words": _entry(version="one"),
    "metadata-number": _entry(metadata={"unit": 1}),
    "metadata-null-value": _entry(metadata={"unit": None}),
    "metadata-nested": _entry(metadata={"unit": {"a": "b"}}),
    "metadata-list": _entry(metadata=["a"]),
    "metadata-many-keys": _entry(metadata={f"k{i}": "v" for i in range(3000)}),
    "metadata-key-too-long": _entry(metadata={"k" * 300: "v"}),
    "interfaces-string": _entry(interfaces="HTTP-INSECURE-JSON"),
    "interfaces-numbers": _entry(interfaces=[1, 2]),
    "interfaces-thousands": _entry(
        interfaces=[f"P{i}-INSECURE-JSON" for i in range(3000)]
    ),
    "interface-too-long": _entry(interfaces=["HTTP-INSECURE-" + "J" * 300]),
    "definition-number": _entry(serviceDefinition=12),
    "definition-list": _entry(serviceDefinition=["temperature"]),
    "definition-forbidden-chars": _entry(serviceDefinition="temp;drop table"),
    "definition-too-long": _entry(serviceDefinition="t" * 64),
    "definition-huge": _entry(serviceDefinition="t" * 5000),
    "name-forbidden-chars": _entry_with_provider(systemName="sensor<script>"),
    "name-dot": _entry_with_provider(systemName="sensor.one"),
    "name-64-chars": _entry_with_provider(systemName="s" * 64),
    "name-number": _entry_with_provider(systemName=5),
    "address-too-long": _entry_with_provider(address="a" * 300),
    "address-number": _entry_with_provider(address=127001),
    "address-label-too-long": _entry_with_provider(address="a" * 64 + ".com"),
    "uri-too-long": _entry(serviceUri="/" + "u" * 300),
    "uri-number": _entry(serviceUri=5),
    "uri-nul": _entry(serviceUri="/a\x00b"),
    "metadata-nul": _entry(metadata={"a": "x\x00y"}),
    "metadata-key-nul": _entry(metadata={"a\x00": "x"}),
    "authentication-info-nul": _entry_with_provider(authenticationInfo="k\x00"),
    "authentication-info-huge": _entry_with_provider(authenticationInfo="k" * 9000),
    "secure-number": _entry(secure=1),
    "end-of-validity-number": _entry(endOfValidity=1700000000),
    "end-of-validity-garbage": _entry(endOfValidity="tomorrow"),
    "provider-string": _entry(providerSystem="sensor"),
    "provider-null": _entry(providerSystem=None),
}


@pytest.mark.parametrize("path", ["/serviceregistry/register", "/serviceregistry/mgmt"])
@pytest.mark.parametrize("name", sorted(HOSTILE_ENTRIES))
def test_hostile_entry_is_400(app, client, path, name):
    before = row_counts(app)
    response = client.post(path, json=HOSTILE_ENTRIES[name])
    assert_error(response, 400)
    assert row_counts(app) == before


HOSTILE_SYSTEMS = {
    "port-string": helpers.system_body("sensor", port="1"),
    "port-boolean": helpers.system_body("sensor", port=False),
    "port-out-of-range": helpers.system_body("sensor", port=70000),
    "name-underscore": helpers.system_body("my_sensor"),
    "name-64-chars": helpers.system_body("s" * 64),
    "name-blank": helpers.system_body("   "),
    "address-broadcast": helpers.system_body("sensor", address="255.255.255.255"),
    "metadata-number": helpers.system_body("sensor", metadata={"a": 1}),
    "missing-port": {"systemName": "sensor", "address": "127.0.0.1"},
}


@pytest.mark.parametrize(
    "path", ["/serviceregistry/register-system", "/serviceregistry/mgmt/systems"]
)
@pytest.mark.parametrize("name", sorted(HOSTILE_SYSTEMS))
def test_hostile_system_is_400(app, client, path, name):
    before = row_counts(app)
    response = client.post(path, json=HOSTILE_SYSTEMS[name])
    assert_error(response, 400)
    assert row_counts(app) == before


def test_hostile_patch_changes_nothing(app, client):
    client.post("/serviceregistry/register", json=_entry())
    before = client.get("/serviceregistry/mgmt/1").json
    response = client.patch(
        "/serviceregistry/mgmt/1", json={"version": "x", "serviceUri": "/changed"}
    )
    assert_error(response, 400)
    assert client.get("/serviceregistry/mgmt/1").json == before


def test_unknown_properties_are_ignored(client):
    body = _entry(unexpected={"a": 1})
    response = client.post("/serviceregistry/register", json=body)
    assert response.status_code == 201


@pytest.mark.parametrize(
    "url",
    [
        "/serviceregistry/unregister?service_definition=temperature"
        "&system_name=sensor&port=8080&service_uri=%00",
        "/serviceregistry/unregister?service_definition=temperature%00"
        "&system_name=sensor&port=8080",
        "/serviceregistry/mgmt/servicedef/temp%00erature",
    ],
)
def test_nul_in_url_is_400(app, client, url):
    client.post("/serviceregistry/register", json=_entry())
    before = row_counts(app)
    response = client.open(url, method="GET" if "servicedef" in url else "DELETE")
    assert_error(response, 400)
    assert row_counts(app) == before


@pytest.mark.parametrize("name", sorted(HOSTILE_ENTRIES))
def test_hostile_put_changes_nothing(app, client, name):
    client.post("/serviceregistry/register", json=_entry())
    before = client.get("/serviceregistry/mgmt/1").json
    counts = row_counts(app)
    response = client.put("/serviceregistry/mgmt/1", json=HOSTILE_ENTRIES[name])
    assert_error(response, 400)
    assert client.get("/serviceregistry/mgmt/1").json == before
    assert row_counts(app) == counts
