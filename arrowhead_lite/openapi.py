"""The OpenAPI 3 document at /openapi.json and the browsable page at /docs.

The document is built from ``app.url_map``, so every registered route appears,
whichever blueprints are enabled. A view states its request and response
schemas with the ``describe`` decorator, or a views module names them for an
endpoint with ``describe_endpoint`` without touching the view. A route with no
description gets a generic JSON body. Every operation lists the
ErrorMessageDTO error responses.
"""

import functools
import logging
import os
import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Blueprint
from flask import Flask
from flask import Response
from flask import abort
from flask import current_app
from marshmallow import Schema
from marshmallow import fields

from . import __version__
from . import openapi_catalog
from .schemas import ContractSchema
from .schemas import Version
from .security.access import public
from .timestamps import Instant

logger = logging.getLogger(__name__)

STATIC_FOLDER = os.path.join(os.path.dirname(__file__), "static")
DOCS_ASSETS = {
    "docs.html": "text/html",
    "docs.js": "text/javascript",
    "docs.css": "text/css",
}
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
ERROR_STATUSES = {
    400: "Invalid request: validation error, duplicate or unknown record",
    401: "The caller's certificate may not use this endpoint",
    500: "Internal error",
}
GENERIC_JSON = {"type": "object", "additionalProperties": True}
_CONVERTER_TYPES = {"int": "integer", "float": "number"}
_RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")

bp = Blueprint("openapi", __name__)


class ErrorMessageSchema(ContractSchema):
    """ErrorMessageDTO: the body of every error response."""

    error_message = fields.String(data_key="errorMessage", required=True)
    error_code = fields.Integer(data_key="errorCode", required=True)
    exception_type = fields.String(data_key="exceptionType", required=True)
    origin = fields.String()


@dataclass(frozen=True)
class Description:
    """Documentation of one view: bodies, statuses, query parameters.

    ``body`` and ``response`` are marshmallow schemas (class or instance), a
    plain OpenAPI schema dict, or None. ``query`` maps parameter names to a
    (type, description) pair.
    """

    body: Any = None
    body_many: bool = False
    response: Any = None
    response_many: bool = False
    status: int = 200
    content_type: str = "application/json"
    query: dict[str, tuple[str, str]] = field(default_factory=dict)
    summary: str | None = None
    empty_response: bool = False


# Endpoint -> Description, for views that are described without a decorator.
_DESCRIPTIONS: dict[str, Description] = {}

PAGING_QUERY = {
    "page": ("integer", "zero-based page index; needs item_per_page"),
    "item_per_page": ("integer", "page size; needs page"),
    "sort_field": ("string", "field to sort by, default id"),
    "direction": ("string", "ASC (default) or DESC"),
}


def describe(**kwargs) -> Any:
    """Attach a ``Description`` (same keyword arguments) to a view function."""
    description = Description(**kwargs)

    def decorator(view):
        view.openapi_description = description
        return view

    return decorator


def describe_endpoint(endpoint: str, **kwargs) -> None:
    """Describe the view registered as ``endpoint``, e.g. ``registry.register``."""
    _DESCRIPTIONS[endpoint] = Description(**kwargs)


def _schema_name(schema) -> str | None:
    cls = resolve_schema_cls(schema)
    if isinstance(schema, Schema) and (
        schema.only or schema.exclude or schema.partial or schema.load_only
    ):
        return None
    name = cls.__name__
    return name[: -len("Schema")] if name.endswith("Schema") else name


def _new_spec() -> APISpec:
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)
    spec = APISpec(
        title="arrowhead-lite",
        version=__version__,
        openapi_version="3.0.3",
        plugins=[plugin],
        info={
            "description": (
                "Eclipse Arrowhead 4.x Service Registry, Authorization and "
                "Orchestrator. Identity is the client certificate; each "
                "operation's x-access names who may call it."
            )
        },
    )
    plugin.map_to_openapi_type(Instant, "string", "date-time")
    plugin.map_to_openapi_type(Version, "integer", None)
    spec.components.schema("ErrorMessage", schema=ErrorMessageSchema)
    return spec


def build_document(app: Flask) -> dict:
    """Return the OpenAPI document of every route of ``app``."""
    spec = _new_spec()
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda item: item.rule):
        view = app.view_functions.get(rule.endpoint)
        path, parameters = _path_and_parameters(rule)
        operations = paths.setdefault(path, {})
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            operations[method.lower()] = _operation(rule, view, method, parameters)

    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _path_and_parameters(rule) -> tuple[str, list[dict]]:
    parameters = []
    for match in _RULE_ARGUMENT.finditer(rule.rule):
        converter = (match.group("converter") or "default").split("(")[0]
        parameters.append(
            {
                "in": "path",
                "name": match.group("name"),
                "required": True,
                "schema": {"type": _CONVERTER_TYPES.get(converter, "string")},
            }
        )
    path = _RULE_ARGUMENT.sub(lambda m: "{" + m.group("name") + "}", rule.rule)
    return path, parameters


def _description_of(endpoint: str, view) -> Description | None:
    if endpoint in _DESCRIPTIONS:
        return _DESCRIPTIONS[endpoint]
    if hasattr(view, "openapi_description"):
        return view.openapi_description

    arguments = openapi_catalog.description_arguments(endpoint, PAGING_QUERY)
    return None if arguments is None else Description(**arguments)


def _operation(rule, view, method: str, path_parameters: list[dict]) -> dict:
    description = _description_of(rule.endpoint, view) or Description()
    doc = (getattr(view, "__doc__", None) or "").strip()
    summary = description.summary or (doc.splitlines()[0] if doc else rule.endpoint)
    is_public = getattr(view, "is_public", False) or rule.endpoint == "static"
    rules = getattr(view, "access_rules", None)

    operation: dict[str, Any] = {
        "operationId": f"{rule.endpoint}.{method.lower()}",
        "summary": summary,
        "tags": [rule.endpoint.split(".")[0] if "." in rule.endpoint else "app"],
        "x-access": _access_text(is_public, rules),
        "responses": _responses(description, method, is_public),
    }

    parameters = list(path_parameters)
    for name, (kind, text) in description.query.items():
        parameters.append(
            {"in": "query", "name": name, "schema": {"type": kind}, "description": text}
        )
    if parameters:
        operation["parameters"] = parameters

    body = _request_body(description, method)
    if body is not None:
        operation["requestBody"] = body
    return operation


def _access_text(is_public: bool, rules) -> str:
    if is_public:
        return "public: no certificate needed"
    if not rules:
        return "any system of this cloud"
    return "; ".join(rule.description for rule in rules)


def _schema_object(schema: Any, many: bool) -> Any:
    if schema is None:
        return GENERIC_JSON
    return {"type": "array", "items": schema} if many else schema


def _request_body(description: Description, method: str) -> dict | None:
    if description.body is None and method not in ("POST", "PUT", "PATCH"):
        return None
    if description.body is None and description.body_many is False:
        schema: Any = GENERIC_JSON
    else:
        schema = _schema_object(description.body, description.body_many)
    return {
        "required": description.body is not None,
        "content": {"application/json": {"schema": schema}},
    }


def _responses(description: Description, method: str, is_public: bool) -> dict:
    status = description.status
    if description.content_type == "application/json":
        schema = _schema_object(description.response, description.response_many)
    else:
        schema = {"type": "string"}
    success: dict[str, Any] = {"description": "Success"}
    if method != "DELETE" and not description.empty_response:
        success["content"] = {description.content_type: {"schema": schema}}
    responses: dict[str, Any] = {str(status): success}

    for code, text in ERROR_STATUSES.items():
        if is_public and code == 401:
            continue
        responses[str(code)] = {
            "description": text,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/ErrorMessage"}
                }
            },
        }
    return responses


def document(app: Flask) -> dict:
    """Return the cached document, building it on first use."""
    cached = app.extensions.get("arrowhead_openapi")
    if cached is None:
        cached = build_document(app)
        app.extensions["arrowhead_openapi"] = cached
    return cached


@bp.get("/openapi.json")
@public
def openapi_json():
    """Return the OpenAPI 3 document of this server."""
    return document(current_app)


@functools.cache
def _asset(name: str) -> bytes:
    with open(os.path.join(STATIC_FOLDER, name), "rb") as asset:
        return asset.read()


def _asset_response(name: str) -> Response:
    response = Response(_asset(name), mimetype=DOCS_ASSETS[name])
    response.cache_control.max_age = 300
    return response


@bp.get("/docs")
@public
def docs():
    """Return the browsable API page."""
    return _asset_response("docs.html")


@bp.get("/docs/<name>")
@public
def docs_asset(name: str):
    """Return a script or style sheet of the API page."""
    if name not in DOCS_ASSETS:
        abort(404)
    return _asset_response(name)


describe_endpoint(
    "openapi.openapi_json",
    response={"type": "object", "description": "an OpenAPI 3.0 document"},
)
describe_endpoint("openapi.docs", content_type="text/html")
describe_endpoint("openapi.docs_asset", content_type="text/plain")
describe_endpoint(
    "health.health",
    response={
        "type": "object",
        "properties": {
            "status": {"type": "string", "example": "healthy"},
            "service": {"type": "string", "example": "arrowhead-lite"},
            "timestamp": {"type": "integer", "description": "Unix seconds"},
        },
    },
)
describe_endpoint("static", content_type="application/octet-stream")
for _system in ("registry", "authorization", "orchestrator"):
    describe_endpoint(
        f"{_system}.echo", content_type="text/plain", summary="Liveness: Got it!"
    )


def init_app(app: Flask) -> None:
    """Register /openapi.json and /docs."""
    app.register_blueprint(bp)
