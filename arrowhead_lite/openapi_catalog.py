"""Request and response schemas of the core endpoints, for the OpenAPI document.

Each entry names a view's endpoint and the marshmallow schemas its view loads
and dumps, as ``"module:Class"`` strings resolved when the document is built,
so the views stay as they are. An entry whose endpoint or schema does not exist
is skipped and that route gets the generic JSON body.
"""

import importlib
import logging
from typing import Any

logger = logging.getLogger(__name__)

PAGING = "paging"
LIST = "list"

SYSTEM_REQUEST = "registry.schemas:SystemRequestSchema"
SYSTEM = "registry.schemas:SystemResponseSchema"
DEFINITION = "registry.schemas:ServiceDefinitionResponseSchema"
INTERFACE = "registry.schemas:ServiceInterfaceResponseSchema"
ENTRY_REQUEST = "registry.schemas:EntryRequestSchema"
ENTRY = "registry.schemas:ServiceRegistryEntryResponseSchema"
RULE = "authorization.schemas:RuleResponseSchema"
STORE_RULE = "orchestrator.schemas:StoreRuleResponseSchema"
ORCHESTRATION_FORM = "orchestrator.schemas:OrchestrationFormSchema"
ORCHESTRATION_RESULT = "orchestrator.schemas:OrchestrationResultSchema"

# endpoint -> keyword arguments of openapi.Description; LIST wraps the item
# schema in {"data": [...], "count": n}; PAGING adds the paging parameters.
CATALOG: dict[str, dict[str, Any]] = {
    "registry.register": {"body": ENTRY_REQUEST, "response": ENTRY, "status": 201},
    "registry.unregister": {
        "query": {
            "service_definition": ("string", "service definition"),
            "system_name": ("string", "provider system name"),
            "address": ("string", "provider address; optional"),
            "port": ("integer", "provider port"),
            "service_uri": ("string", "service URI; without it every URI goes"),
        },
        "empty_response": True,
    },
    "registry.query": {
        "body": "registry.schemas:QueryFormSchema",
        "response": {
            "type": "object",
            "properties": {
                "serviceQueryData": {"type": "array", "items": ENTRY},
                "unfilteredHits": {"type": "integer"},
            },
        },
    },
    "registry.query_multi": {"body": "registry.schemas:QueryFormListSchema"},
    "registry.register_system": {
        "body": SYSTEM_REQUEST,
        "response": SYSTEM,
        "status": 201,
    },
    "registry.unregister_system": {
        "query": {
            "system_name": ("string", "system name"),
            "address": ("string", "system address"),
            "port": ("integer", "system port"),
        },
        "empty_response": True,
    },
    "registry.pull_systems": {"response": SYSTEM, LIST: True, PAGING: True},
    "registry.query_system_by_id": {"response": SYSTEM},
    "registry.query_system": {"body": SYSTEM_REQUEST, "response": SYSTEM},
    "registry.query_all": {"response": ENTRY, LIST: True},
    "registry.query_provider": {"response": ENTRY, LIST: True},
    "registry.query_definition": {
        "body": {"type": "array", "items": {"type": "string"}},
        "response": ENTRY,
        LIST: True,
    },
    "registry.list_entries": {"response": ENTRY, LIST: True, PAGING: True},
    "registry.create_entry": {
        "body": ENTRY_REQUEST,
        "response": ENTRY,
        "status": 201,
    },
    "registry.get_entry": {"response": ENTRY},
    "registry.replace_entry": {"body": ENTRY_REQUEST, "response": ENTRY},
    "registry.patch_entry": {
        "body": "registry.schemas:EntryPatchSchema",
        "response": ENTRY,
    },
    "registry.list_entries_of_definition": {
        "response": ENTRY,
        LIST: True,
        PAGING: True,
    },
    "registry.list_definitions": {"response": DEFINITION, LIST: True, PAGING: True},
    "registry.create_definition": {
        "body": "registry.schemas:DefinitionRequestSchema",
        "response": DEFINITION,
        "status": 201,
        "summary": (
            "Create a service definition; a body with providerSystem creates "
            "an entry instead (Go arrowhead-lite dialect)"
        ),
    },
    "registry.get_definition": {"response": DEFINITION},
    "registry.update_definition": {
        "body": "registry.schemas:DefinitionRequestSchema",
        "response": DEFINITION,
    },
    "registry.list_systems": {"response": SYSTEM, LIST: True, PAGING: True},
    "registry.create_system": {
        "body": SYSTEM_REQUEST,
        "response": SYSTEM,
        "status": 201,
    },
    "registry.get_system": {"response": SYSTEM},
    "registry.replace_system": {"body": SYSTEM_REQUEST, "response": SYSTEM},
    "registry.patch_system": {
        "body": "registry.schemas:SystemPatchSchema",
        "response": SYSTEM,
    },
    "registry.list_interfaces": {"response": INTERFACE, LIST: True, PAGING: True},
    "registry.create_interface": {
        "body": "registry.schemas:InterfaceRequestSchema",
        "response": INTERFACE,
        "status": 201,
    },
    "registry.get_interface": {"response": INTERFACE},
    "registry.update_interface": {
        "body": "registry.schemas:InterfaceRequestSchema",
        "response": INTERFACE,
    },
    "registry.pull_config": {
        "response": {
            "type": "object",
            "properties": {
                "map": {"type": "object", "additionalProperties": {"type": "string"}}
            },
        }
    },
    "authorization.public_key": {
        "response": {
            "type": "string",
            "description": "Base64 DER SubjectPublicKeyInfo, as a JSON string",
        }
    },
    "authorization.list_rules": {"response": RULE, LIST: True, PAGING: True},
    "authorization.create_rules": {
        "body": "authorization.schemas:RuleRequestSchema",
        "response": RULE,
        LIST: True,
        "status": 201,
    },
    "authorization.get_rule": {"response": RULE},
    "authorization.check_rules": {"body": "authorization.schemas:CheckRequestSchema"},
    "authorization.generate_tokens": {
        "body": "authorization.schemas:TokenRequestSchema"
    },
    "authorization.generate_multi_service_tokens": {
        "body": {
            "type": "array",
            "items": "authorization.schemas:TokenRequestSchema",
        }
    },
    "orchestrator.orchestration": {
        "body": ORCHESTRATION_FORM,
        "response": {
            "type": "object",
            "properties": {
                "response": {"type": "array", "items": ORCHESTRATION_RESULT}
            },
        },
    },
    "orchestrator.orchestration_by_consumer": {
        "response": {
            "type": "object",
            "properties": {
                "response": {"type": "array", "items": ORCHESTRATION_RESULT}
            },
        },
    },
    "orchestrator.explain": {"body": ORCHESTRATION_FORM},
    "orchestrator.list_store_rules": {
        "response": STORE_RULE,
        LIST: True,
        PAGING: True,
    },
    "orchestrator.create_store_rules": {
        "body": {
            "type": "array",
            "items": "orchestrator.schemas:StoreRuleRequestSchema",
        },
        "response": STORE_RULE,
        LIST: True,
    },
    "orchestrator.list_top_priority_rules": {
        "response": STORE_RULE,
        LIST: True,
        PAGING: True,
    },
    "orchestrator.list_rules_by_consumer": {
        "body": "orchestrator.schemas:StoreQuerySchema",
        "response": STORE_RULE,
        LIST: True,
        PAGING: True,
    },
    "orchestrator.modify_priorities": {
        "body": "orchestrator.schemas:PriorityMapSchema",
        "empty_response": True,
    },
    "orchestrator.get_store_rule": {"response": STORE_RULE},
}


class MissingSchema(LookupError):
    """A catalog entry names a schema that the code no longer has."""


def _resolve(value: Any) -> Any:
    """Replace ``"module:Class"`` strings, also inside schema dicts, by classes."""
    if isinstance(value, str) and ":" in value:
        module_name, class_name = value.split(":")
        try:
            module = importlib.import_module(f"arrowhead_lite.{module_name}")
            return getattr(module, class_name)
        except (ImportError, AttributeError):
            raise MissingSchema(value) from None
    if isinstance(value, dict):
        return {key: _resolve(item) for key, item in value.items()}
    return value


def _list_of(item: Any) -> dict:
    return {
        "type": "object",
        "properties": {
            "data": {"type": "array", "items": item},
            "count": {"type": "integer", "description": "number of matching rows"},
        },
    }


def description_arguments(endpoint: str, paging_query: dict) -> dict | None:
    """Return the Description arguments for ``endpoint``, or None if unknown.

    :param paging_query: the query parameters a PAGING entry adds.
    """
    entry = CATALOG.get(endpoint)
    if entry is None:
        return None

    arguments = dict(entry)
    wrap = arguments.pop(LIST, False)
    paged = arguments.pop(PAGING, False)
    try:
        for key in ("body", "response"):
            if key in arguments:
                arguments[key] = _resolve(arguments[key])
    except MissingSchema as error:
        logger.warning("OpenAPI: %s names a missing schema %s", endpoint, error)
        return None

    if wrap:
        arguments["response"] = _list_of(arguments["response"])
    if paged:
        arguments["query"] = {**paging_query, **arguments.get("query", {})}
    return arguments
