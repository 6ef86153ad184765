"""The OpenAPI document at /openapi.json and the page at /docs."""

import re

from flask import Blueprint
from openapi_spec_validator import validate

from arrowhead_lite import openapi
from arrowhead_lite import openapi_catalog
from arrowhead_lite.registry.schemas import SystemRequestSchema
from arrowhead_lite.registry.schemas import SystemResponseSchema
from arrowhead_lite.security.access import SYSOP
from arrowhead_lite.security.access import allow

ERROR_REF = {"$ref": "#/components/schemas/ErrorMessage"}


def _documented_operations(document: dict) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
    }


def _routed_operations(app) -> set[tuple[str, str]]:
    operations = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^>:]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operations.add((path, method))
    return operations


def _sample_blueprint() -> Blueprint:
    bp = Blueprint("sample", __name__, url_prefix="/sample")

    @bp.post("/systems")
    @allow(SYSOP)
    @openapi.describe(
        body=SystemRequestSchema, response=SystemResponseSchema, status=201
    )
    def create_system():
        """Create a system."""
        return {}, 201

    @bp.get("/systems/<int:system_id>")
    @allow(SYSOP)
    def get_system(system_id):
        """Return one system."""
        return {}

    @bp.get("/systems")
    @allow(SYSOP)
    def list_systems():
        """List the systems."""
        return {}

    return bp


def test_document_is_valid_openapi(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    validate(response.json)


def test_document_lists_every_route(app):
    document = app.test_client().get("/openapi.json").json
    assert _routed_operations(app) <= _documented_operations(document)


def test_document_lists_routes_added_by_blueprints(make_app):
    app = make_app()
    app.register_blueprint(_sample_blueprint())

    document = app.test_client().get("/openapi.json").json

    assert _routed_operations(app) <= _documented_operations(document)
    validate(document)


def test_described_view_has_its_schemas(make_app):
    app = make_app()
    app.register_blueprint(_sample_blueprint())

    document = app.test_client().get("/openapi.json").json
    operation = document["paths"]["/sample/systems"]["post"]

    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/SystemRequest"}
    created = operation["responses"]["201"]["content"]["application/json"]
    assert created["schema"] == {"$ref": "#/components/schemas/SystemResponse"}
    properties = document["components"]["schemas"]["SystemRequest"]["properties"]
    assert "systemName" in properties


def test_mapping_describes_view_without_decorator(make_app):
    app = make_app()
    app.register_blueprint(_sample_blueprint())
    openapi.describe_endpoint(
        "sample.list_systems",
        response=SystemResponseSchema,
        response_many=True,
        query=openapi.PAGING_QUERY,
    )

    document = app.test_client().get("/openapi.json").json
    operation = document["paths"]["/sample/systems"]["get"]

    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["type"] == "array"
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert names == set(openapi.PAGING_QUERY)


def test_undescribed_view_has_generic_json_body(make_app):
    app = make_app()
    app.register_blueprint(_sample_blueprint())

    document = app.test_client().get("/openapi.json").json
    operation = document["paths"]["/sample/systems/{system_id}"]["get"]

    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == openapi.GENERIC_JSON
    assert operation["parameters"][0]["schema"] == {"type": "integer"}


def test_operations_carry_error_responses(make_app):
    app = make_app()
    app.register_blueprint(_sample_blueprint())

    document = app.test_client().get("/openapi.json").json
    responses = document["paths"]["/sample/systems"]["post"]["responses"]

    for status in ("400", "401", "500"):
        assert responses[status]["content"]["application/json"]["schema"] == ERROR_REF


def test_operations_name_who_may_call(make_app):
    app = make_app()
    app.register_blueprint(_sample_blueprint())

    document = app.test_client().get("/openapi.json").json

    assert document["paths"]["/sample/systems"]["post"]["x-access"] == "sysop"
    assert document["paths"]["/health"]["get"]["x-access"].startswith("public")


def test_error_message_component(client):
    document = client.get("/openapi.json").json
    schema = document["components"]["schemas"]["ErrorMessage"]
    assert set(schema["required"]) == {"errorMessage", "errorCode", "exceptionType"}


def test_document_is_public_in_secure_mode(secure_client):
    response = secure_client.get("/openapi.json")
    assert response.status_code == 200


def test_docs_page_is_served_from_package(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.content_type
    assert b'src="docs/docs.js"' in response.data


def test_docs_page_is_public_in_secure_mode(secure_client):
    response = secure_client.get("/docs")
    assert response.status_code == 200


def test_docs_assets_are_served(client):
    for name in openapi.DOCS_ASSETS:
        response = client.get(f"/docs/{name}")
        assert response.status_code == 200, name


def test_docs_page_loads_nothing_from_other_hosts(client):
    for name in openapi.DOCS_ASSETS:
        text = client.get(f"/docs/{name}").get_data(as_text=True)
        assert "http://" not in text, name
        assert "https://" not in text, name


def test_unknown_docs_asset_is_404(client):
    response = client.get("/docs/secret.py")
    assert response.status_code == 404
    assert response.json["errorCode"] == 404


def test_catalog_names_only_routed_endpoints(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(openapi_catalog.CATALOG) <= endpoints


def test_catalog_schemas_exist(app):
    for endpoint in openapi_catalog.CATALOG:
        arguments = openapi_catalog.description_arguments(endpoint, {})
        assert arguments is not None, endpoint


def test_core_endpoints_have_schemas(client):
    document = client.get("/openapi.json").json
    register = document["paths"]["/serviceregistry/register"]["post"]
    body = register["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/EntryRequest"}
    orchestration = document["paths"]["/orchestrator/orchestration"]["post"]
    reply = orchestration["responses"]["200"]["content"]["application/json"]
    items = reply["schema"]["properties"]["response"]["items"]
    assert items == {"$ref": "#/components/schemas/OrchestrationResult"}


def test_list_endpoints_document_count_and_paging(client):
    document = client.get("/openapi.json").json
    operation = document["paths"]["/serviceregistry/mgmt/systems"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == {"data", "count"}
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert set(openapi.PAGING_QUERY) <= names


def test_delete_success_has_no_body(client):
    document = client.get("/openapi.json").json
    operation = document["paths"]["/serviceregistry/mgmt/systems/{system_id}"]
    assert "content" not in operation["delete"]["responses"]["200"]
