"""HTTP endpoints under /serviceregistry."""

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import request

from ..errors import BadPayload
from ..errors import NotFound
from ..errors import Unauthorized
from ..paging import parse_page_request
from ..payload import load_data
from ..payload import load_json
from ..payload import read_json
from ..security.access import ANY_SYSTEM
from ..security.access import SYSOP
from ..security.access import Rule
from ..security.access import allow
from ..security.access import body_field
from ..security.access import core
from ..security.access import own_system
from ..security.access import query_arg
from ..security.identity import current_identity
from . import catalog
from . import entries as registry_entries
from . import names
from . import query as registry_query
from . import schemas
from . import systems as registry_systems
from . import validation

bp = Blueprint("registry", __name__, url_prefix="/serviceregistry")

# Core systems that may query every service definition.
QUERY_CORE_SYSTEMS = (
    "orchestrator",
    "gatekeeper",
    "certificateauthority",
    "eventhandler",
    "authorization",
    "qosmonitor",
    "onboardingcontroller",
    "deviceregistry",
    "systemregistry",
    "plantdescriptionengine",
    "choreographer",
    "hawkbitconfigurationmanager",
    "mscv",
)
SYSTEM_MANAGING_CORE_SYSTEMS = ("plantdescriptionengine", "choreographer")


def _queries_public_core_service() -> bool:
    definition = body_field("serviceDefinitionRequirement")()
    if not isinstance(definition, str):
        # Validation rejects the body with 400 before anything is read.
        return True
    return definition.strip().lower() in names.PUBLIC_CORE_SERVICE_DEFINITIONS


# NOTE: core systems outside QUERY_CORE_SYSTEMS may query only the public core
# services here, but the reference also lets them query their own definitions.
PUBLIC_CORE_SERVICE_QUERY = Rule(
    "any system, for the public core services only",
    lambda identity: _queries_public_core_service(),
)
ANY_CORE_SYSTEM = core(*names.CORE_SYSTEM_NAMES)


@bp.before_request
def _reject_nul_in_url() -> None:
    """Reject NUL characters in the path or query, which PostgreSQL cannot compare."""
    texts = [request.path, *request.args.keys(), *request.args.values()]
    if any("\x00" in text for text in texts):
        raise BadPayload("The URL must not contain NUL (%00) characters.")


def _empty_response() -> Response:
    return Response(b"", status=200, content_type="application/json")


def _required_arg(name: str) -> str:
    value = request.args.get(name)
    if value is None:
        raise BadPayload(f"Query parameter {name} is missing.")
    return value


def _port_arg() -> int:
    text = _required_arg("port")
    try:
        port = int(text)
    except ValueError:
        raise BadPayload(f"Query parameter port={text!r} is not an integer.") from None
    if not 0 <= port <= 65535:
        raise BadPayload(f"Query parameter port={port} is out of range 0 to 65535.")
    return port


def _page(columns: dict):
    return parse_page_request(request.args, tuple(columns))


def _list_response(schema, items: list, count: int) -> dict:
    return schemas.list_response(schema, items, count)


def _dump_candidate(candidate: registry_query.Candidate) -> dict:
    data = schemas.entry_response.dump(candidate.entry)
    data["interfaces"] = schemas.interface_response.dump(
        candidate.interfaces, many=True
    )
    return data


def _query_result(form: dict) -> dict:
    result = registry_query.query(validation.to_query_form(form))
    return {
        "serviceQueryData": [_dump_candidate(hit) for hit in result.hits],
        "unfilteredHits": result.unfiltered_hits,
    }


def _reject_core_definition_from_application(definition: str) -> None:
    identity = current_identity()
    if identity is None or identity.is_core:
        return
    if definition.strip().lower() in names.CORE_SERVICE_DEFINITIONS:
        raise Unauthorized(
            f"{identity.common_name} may not register the core service "
            f"definition {definition.strip().lower()}."
        )


# Client endpoints -----------------------------------------------------------


@bp.get("/echo")
@allow(ANY_SYSTEM)
def echo():
    """Return the reference's liveness text."""
    return "Got it!", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.post("/register")
@allow(
    own_system(body_field("providerSystem", "systemName"), "providerSystem.systemName")
)
def register():
    """Register a service of the calling provider."""
    data = load_json(schemas.entry_request)
    _reject_core_definition_from_application(data["service_definition"])
    entry = registry_entries.register_entry(data)
    return schemas.entry_response.dump(entry), 201


@bp.delete("/unregister")
@allow(own_system(query_arg("system_name"), "the system_name parameter"))
def unregister():
    """Remove a provider's entries of one definition.

    Without ``service_uri`` every entry of the definition and provider goes, as
    the official Python client sends no URI; without ``address`` the provider is
    the only system with that name and port.
    """
    registry_entries.unregister_entries(
        definition=_required_arg("service_definition"),
        system_name=_required_arg("system_name"),
        address=request.args.get("address"),
        port=_port_arg(),
        service_uri=request.args.get("service_uri"),
    )
    return _empty_response()


@bp.post("/query")
@allow(core(*QUERY_CORE_SYSTEMS), PUBLIC_CORE_SERVICE_QUERY)
def query():
    """Return the entries of a definition that meet every requirement."""
    form = load_json(schemas.query_form)
    return _query_result(form)


@bp.post("/register-system")
@allow(
    own_system(body_field("systemName"), "systemName"),
    core(*SYSTEM_MANAGING_CORE_SYSTEMS),
)
def register_system():
    """Register a system, such as a consumer that provides nothing."""
    data = load_json(schemas.system_request)
    system = registry_systems.create_system(data, reject_reserved=True)
    return schemas.system_response.dump(system), 201


@bp.delete("/unregister-system")
@allow(
    own_system(query_arg("system_name"), "the system_name parameter"),
    core(*SYSTEM_MANAGING_CORE_SYSTEMS),
)
def unregister_system():
    """Remove a system with its entries and authorization rules."""
    registry_systems.unregister_system(
        _required_arg("system_name"), _required_arg("address"), _port_arg()
    )
    return _empty_response()


@bp.get("/pull-systems")
@allow(core("plantdescriptionengine"))
def pull_systems():
    """Return one page of systems."""
    systems, count = registry_systems.list_systems(
        _page(registry_systems.SYSTEM_SORT_COLUMNS)
    )
    return _list_response(schemas.system_response, systems, count)


# Private endpoints for core systems -----------------------------------------


@bp.post("/query/multi")
@allow(core(*QUERY_CORE_SYSTEMS))
def query_multi():
    """Run several queries; the results come in the order of the forms."""
    data = load_json(schemas.query_form_list)
    return {"results": [_query_result(form) for form in data["forms"]]}


@bp.get("/query/system/<int(signed=True):system_id>")
@allow(core("orchestrator"))
def query_system_by_id(system_id: int):
    """Return one system by id."""
    return schemas.system_response.dump(registry_systems.get_system(system_id))


@bp.post("/query/system")
@allow(core("orchestrator", "choreographer"))
def query_system():
    """Return the system with the given name, address and port."""
    data = load_json(schemas.system_request)
    system = registry_systems.find_system(
        data["system_name"], data["address"], data["port"]
    )
    if system is None:
        raise NotFound(
            f"No system with name: {data['system_name']}, address: "
            f"{data['address']} and port: {data['port']}"
        )
    return schemas.system_response.dump(system)


@bp.get("/query/all")
@allow(core("qosmonitor", "gatekeeper"))
def query_all():
    """Return every entry."""
    entries = registry_entries.all_entries()
    return _list_response(schemas.entry_response, entries, len(entries))


@bp.get("/query/provider/<int(signed=True):system_id>")
@allow(core("choreographer"))
def query_provider(system_id: int):
    """Return every entry of one provider."""
    entries = registry_entries.entries_of_provider(system_id)
    return _list_response(schemas.entry_response, entries, len(entries))


@bp.post("/query/definition")
@allow(core("choreographer"))
def query_definition():
    """Return the entries of the listed definitions; unknown ones are skipped."""
    definitions = read_json(expect=list)
    if not all(isinstance(item, str) for item in definitions):
        raise BadPayload("The request body must be a JSON array of strings.")
    entries = registry_entries.entries_of_definitions(definitions)
    return _list_response(schemas.entry_response, entries, len(entries))


@bp.get("/pull-config")
@allow(ANY_CORE_SYSTEM)
def pull_config():
    """Return the registry settings core systems align with."""
    config = current_app.config
    settings = {
        "use_strict_service_definition_verifier": config[
            "ARROWHEAD_STRICT_SERVICE_DEFINITIONS"
        ],
        "allow_self_addressing": config["ARROWHEAD_ALLOW_SELF_ADDRESSING"],
        "allow_non_routable_addressing": config[
            "ARROWHEAD_ALLOW_NON_ROUTABLE_ADDRESSING"
        ],
    }
    return {"map": {key: str(value).lower() for key, value in settings.items()}}


# Management: service registry entries ---------------------------------------


@bp.get("/mgmt")
@allow(SYSOP)
def list_entries():
    """Return one page of entries."""
    entries, count = registry_entries.list_entries(
        _page(registry_entries.ENTRY_SORT_COLUMNS)
    )
    return _list_response(schemas.entry_response, entries, count)


@bp.post("/mgmt")
@allow(SYSOP)
def create_entry():
    """Register a service for any provider; core system names are rejected."""
    data = load_json(schemas.entry_request)
    entry = registry_entries.register_entry(data, reject_reserved_system_names=True)
    return schemas.entry_response.dump(entry), 201


@bp.get("/mgmt/<int(signed=True):entry_id>")
@allow(SYSOP)
def get_entry(entry_id: int):
    """Return one entry."""
    return schemas.entry_response.dump(registry_entries.get_entry(entry_id))


@bp.put("/mgmt/<int(signed=True):entry_id>")
@allow(SYSOP)
def replace_entry(entry_id: int):
    """Replace every field of an entry."""
    data = load_json(schemas.entry_request)
    return schemas.entry_response.dump(registry_entries.replace_entry(entry_id, data))


@bp.patch("/mgmt/<int(signed=True):entry_id>")
@allow(SYSOP)
def patch_entry(entry_id: int):
    """Change the given fields of an entry; the others keep their value."""
    data = load_json(schemas.entry_patch)
    return schemas.entry_response.dump(registry_entries.patch_entry(entry_id, data))


@bp.delete("/mgmt/<int(signed=True):entry_id>")
@allow(SYSOP)
def delete_entry(entry_id: int):
    """Remove one entry."""
    registry_entries.delete_entry(entry_id)
    return _empty_response()


@bp.get("/mgmt/grouped")
@allow(SYSOP)
def grouped():
    """Return entries grouped by provider and by definition, with name lists."""
    data = registry_entries.grouped()
    by_system: dict[int, dict] = {}
    by_definition: dict[int, dict] = {}
    for entry in data["entries"]:
        dumped = schemas.entry_response.dump(entry)
        provider = entry.provider
        by_system.setdefault(
            provider.id,
            {
                "systemId": provider.id,
                "systemName": provider.system_name,
                "address": provider.address,
                "port": provider.port,
                "metadata": dict(provider.metadata_ or {}),
                "services": [],
            },
        )["services"].append(dumped)
        definition = entry.service_definition
        by_definition.setdefault(
            definition.id,
            {
                "serviceDefinitionId": definition.id,
                "serviceDefinition": definition.service_definition,
                "providerServices": [],
            },
        )["providerServices"].append(dumped)

    return {
        "servicesGroupedBySystems": list(by_system.values()),
        "servicesGroupedByServiceDefinition": list(by_definition.values()),
        "autoCompleteData": {
            "serviceList": [
                {"id": item.id, "value": item.service_definition}
                for item in data["definitions"]
            ],
            "systemList": schemas.system_response.dump(data["systems"], many=True),
            "interfaceList": [
                {"id": item.id, "value": item.interface_name}
                for item in data["interfaces"]
            ],
        },
    }


@bp.get("/mgmt/servicedef/<path:service_definition>")
@allow(SYSOP)
def list_entries_of_definition(service_definition: str):
    """Return one page of the entries of one definition."""
    entries, count = registry_entries.list_entries(
        _page(registry_entries.ENTRY_SORT_COLUMNS), definition=service_definition
    )
    return _list_response(schemas.entry_response, entries, count)


# Management: service definitions --------------------------------------------


@bp.get("/mgmt/services")
@allow(SYSOP)
def list_definitions():
    """Return one page of service definitions."""
    definitions, count = catalog.list_definitions(
        _page(catalog.DEFINITION_SORT_COLUMNS)
    )
    return _list_response(schemas.definition_response, definitions, count)


@bp.post("/mgmt/services")
@allow(SYSOP)
def create_definition():
    """Create a service definition, or an entry when the body has providerSystem.

    The Go arrowhead-lite and its SDK post whole service registrations here.
    """
    body = read_json()
    if "providerSystem" in body:
        data = load_data(schemas.entry_request, body)
        entry = registry_entries.register_entry(data, reject_reserved_system_names=True)
        return schemas.entry_response.dump(entry), 201

    data = load_data(schemas.definition_request, body)
    definition = catalog.create_definition(data["service_definition"])
    return schemas.definition_response.dump(definition), 201


@bp.get("/mgmt/services/<int(signed=True):definition_id>")
@allow(SYSOP)
def get_definition(definition_id: int):
    """Return one service definition."""
    return schemas.definition_response.dump(catalog.get_definition(definition_id))


@bp.route("/mgmt/services/<int(signed=True):definition_id>", methods=["PUT", "PATCH"])
@allow(SYSOP)
def update_definition(definition_id: int):
    """Rename a service definition; PUT and PATCH are the same."""
    data = load_json(schemas.definition_request)
    definition = catalog.update_definition(definition_id, data["service_definition"])
    return schemas.definition_response.dump(definition)


@bp.delete("/mgmt/services/<int(signed=True):definition_id>")
@allow(SYSOP)
def delete_definition(definition_id: int):
    """Remove a service definition with its entries and rules."""
    catalog.delete_definition(definition_id)
    return _empty_response()


# Management: systems --------------------------------------------------------


@bp.get("/mgmt/systems")
@allow(SYSOP)
def list_systems():
    """Return one page of systems."""
    systems, count = registry_systems.list_systems(
        _page(registry_systems.SYSTEM_SORT_COLUMNS)
    )
    return _list_response(schemas.system_response, systems, count)


@bp.post("/mgmt/systems")
@allow(SYSOP)
def create_system():
    """Create a system."""
    data = load_json(schemas.system_request)
    system = registry_systems.create_system(data, reject_reserved=True)
    return schemas.system_response.dump(system), 201


@bp.get("/mgmt/systems/<int(signed=True):system_id>")
@allow(SYSOP)
def get_system(system_id: int):
    """Return one system."""
    return schemas.system_response.dump(registry_systems.get_system(system_id))


@bp.put("/mgmt/systems/<int(signed=True):system_id>")
@allow(SYSOP)
def replace_system(system_id: int):
    """Replace every field of a system, authenticationInfo and metadata too."""
    data = load_json(schemas.system_request)
    system = registry_systems.update_system(system_id, data, partial=False)
    return schemas.system_response.dump(system)


@bp.patch("/mgmt/systems/<int(signed=True):system_id>")
@allow(SYSOP)
def patch_system(system_id: int):
    """Change the given fields of a system."""
    data = load_json(schemas.system_patch)
    system = registry_systems.update_system(system_id, data, partial=True)
    return schemas.system_response.dump(system)


@bp.delete("/mgmt/systems/<int(signed=True):system_id>")
@allow(SYSOP)
def delete_system(system_id: int):
    """Remove a system with its entries and authorization rules."""
    registry_systems.delete_system(system_id)
    return _empty_response()


# Management: interfaces -----------------------------------------------------


@bp.get("/mgmt/interfaces")
@allow(SYSOP)
def list_interfaces():
    """Return one page of interfaces."""
    interfaces, count = catalog.list_interfaces(_page(catalog.INTERFACE_SORT_COLUMNS))
    return _list_response(schemas.interface_response, interfaces, count)


@bp.post("/mgmt/interfaces")
@allow(SYSOP)
def create_interface():
    """Create an interface."""
    data = load_json(schemas.interface_request)
    interface = catalog.create_interface(data["interface_name"])
    return schemas.interface_response.dump(interface), 201


@bp.get("/mgmt/interfaces/<int(signed=True):interface_id>")
@allow(SYSOP)
def get_interface(interface_id: int):
    """Return one interface."""
    return schemas.interface_response.dump(catalog.get_interface(interface_id))


@bp.route("/mgmt/interfaces/<int(signed=True):interface_id>", methods=["PUT", "PATCH"])
@allow(SYSOP)
def update_interface(interface_id: int):
    """Rename an interface; PUT and PATCH are the same."""
    data = load_json(schemas.interface_request)
    interface = catalog.update_interface(interface_id, data["interface_name"])
    return schemas.interface_response.dump(interface)


@bp.delete("/mgmt/interfaces/<int(signed=True):interface_id>")
@allow(SYSOP)
def delete_interface(interface_id: int):
    """Remove an interface with its entry and rule links."""
    catalog.delete_interface(interface_id)
    return _empty_response()
