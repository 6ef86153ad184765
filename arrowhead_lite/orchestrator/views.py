"""HTTP endpoints under /orchestrator."""

from flask import Blueprint
from flask import request

from ..errors import InvalidParameter
from ..errors import NotFound
from ..errors import Unauthorized
from ..paging import parse_page_request
from ..payload import load_data
from ..payload import load_json
from ..payload import read_json
from ..security.access import ANY_SYSTEM
from ..security.access import SYSOP
from ..security.access import allow
from ..security.access import require_system
from ..security.identity import current_identity
from . import services
from . import store
from .explain import explain as explain_outcome
from .schemas import MAX_ID
from .schemas import MAX_STORE_RULES_PER_REQUEST
from .schemas import orchestration_form
from .schemas import priority_map
from .schemas import result_schema
from .schemas import store_query
from .schemas import store_rule_response
from .schemas import store_rules_request

bp = Blueprint("orchestrator", __name__, url_prefix="/orchestrator")


@bp.get("/echo")
@allow(ANY_SYSTEM)
def echo():
    """Return the reference's liveness text."""
    return "Got it!", 200, {"Content-Type": "text/plain; charset=utf-8"}


def _response(outcome: services.Outcome) -> dict:
    return {"response": result_schema.dump(outcome.results, many=True)}


@bp.post("/orchestration")
@allow(ANY_SYSTEM)
def orchestration():
    """Orchestrate for the requester named in the body.

    In the secure modes the requester must be the caller, unless sysop calls.
    """
    form = load_json(orchestration_form)
    require_system(form["requester_system"]["system_name"], allow_sysop=True)
    return _response(services.orchestrate(form))


@bp.get("/orchestration/<int(signed=True):consumer_id>")
@allow(ANY_SYSTEM)
def orchestration_by_consumer(consumer_id: int):
    """Run the top-priority store orchestration for a consumer id.

    In the secure modes only that consumer or sysop may ask. Other callers get
    401 for unknown ids too, so they cannot tell which ids exist.
    """
    consumer_id = _check_id(consumer_id, "Consumer system id")
    try:
        consumer = services.find_consumer(consumer_id)
    except NotFound:
        identity = current_identity()
        if identity is not None and not identity.is_sysop:
            raise Unauthorized(
                f"{identity.common_name} may run this orchestration only for "
                "its own system id."
            ) from None
        raise
    require_system(consumer.system_name, allow_sysop=True)
    return _response(services.orchestrate_consumer(consumer))


@bp.post("/mgmt/explain")
@allow(SYSOP)
def explain():
    """Explain an orchestration request candidate by candidate."""
    form = load_json(orchestration_form)
    return explain_outcome(services.orchestrate(form))


@bp.get("/mgmt/store")
@allow(SYSOP)
def list_store_rules():
    """List store rules with paging and sorting."""
    page_request = parse_page_request(request.args, store.SORTABLE_FIELDS)
    rules, total = store.list_rules(page_request)
    return _rule_list(rules, total)


@bp.post("/mgmt/store")
@allow(SYSOP)
def create_store_rules():
    """Store a list of rules; any invalid element rejects the whole list."""
    data = read_json(expect=list)
    if len(data) > MAX_STORE_RULES_PER_REQUEST:
        raise InvalidParameter(
            f"The store rule list has more than {MAX_STORE_RULES_PER_REQUEST} "
            "elements; send it in parts."
        )
    items = load_data(store_rules_request, data)
    rules = store.create_rules(items)
    return _rule_list(rules, len(rules))


@bp.get("/mgmt/store/all_top_priority")
@allow(SYSOP)
def list_top_priority_rules():
    """List the rules with priority 1."""
    page_request = parse_page_request(request.args, store.SORTABLE_FIELDS)
    rules, total = store.list_rules(page_request, top_priority=True)
    return _rule_list(rules, total)


@bp.post("/mgmt/store/all_by_consumer")
@allow(SYSOP)
def list_rules_by_consumer():
    """List a consumer's rules for a service definition and maybe an interface."""
    query = load_json(store_query)
    page_request = parse_page_request(request.args, store.SORTABLE_FIELDS)
    rules, total = store.rules_by_consumer(query, page_request)
    return _rule_list(rules, total)


@bp.post("/mgmt/store/modify_priorities")
@allow(SYSOP)
def modify_priorities():
    """Set new priorities for every rule of one group."""
    data = load_json(priority_map)
    store.modify_priorities(data["priority_map"])
    return "", 200


@bp.get("/mgmt/store/<int(signed=True):rule_id>")
@allow(SYSOP)
def get_store_rule(rule_id: int):
    """Return one store rule."""
    rule = store.get_rule(_check_id(rule_id, "Store rule id"))
    return store_rule_response.dump(rule)


@bp.delete("/mgmt/store/<int(signed=True):rule_id>")
@allow(SYSOP)
def delete_store_rule(rule_id: int):
    """Delete a store rule; the later rules of its group move up."""
    store.delete_rule(_check_id(rule_id, "Store rule id"))
    return "", 200


def _rule_list(rules, total: int) -> dict:
    return {"data": store_rule_response.dump(rules, many=True), "count": total}


def _check_id(value: int, what: str) -> int:
    if value > MAX_ID:
        # Larger ids never exist, and PostgreSQL rejects them as integers.
        raise NotFound(f"{what} {value} not found.")
    if value < 1:
        raise InvalidParameter(f"{what} must be at least 1, not {value}.")
    return value
