"""HTTP endpoints under /authorization."""

from flask import Blueprint
from flask import current_app
from flask import request

from ..errors import BadPayload
from ..paging import parse_page_request
from ..payload import load_data
from ..payload import load_json
from ..payload import read_json
from ..registry.schemas import list_response
from ..registry.schemas import system_response
from ..security.access import ANY_SYSTEM
from ..security.access import SYSOP
from ..security.access import allow
from ..security.access import core
from . import schemas
from . import services

bp = Blueprint("authorization", __name__, url_prefix="/authorization")

RULE_EDITORS = (SYSOP, core("onboardingcontroller", "mscv"))
RULE_CHECKERS = core("orchestrator", "gatekeeper")
TOKEN_REQUESTERS = core("orchestrator", "choreographer")
# The reference accepts any number of token/multi requests; this bounds the work.
MAX_MULTI_TOKEN_REQUESTS = 64


@bp.get("/echo")
@allow(ANY_SYSTEM)
def echo():
    """Return the reference's liveness text."""
    return "Got it!", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/publickey")
@allow(ANY_SYSTEM)
def public_key():
    """Return the Authorization public key as a quoted JSON string."""
    return current_app.json.response(services.authorization_public_key())


@bp.get("/mgmt/intracloud")
@allow(*RULE_EDITORS)
def list_rules():
    """Return a page of intra-cloud rules."""
    page_request = parse_page_request(request.args, schemas.SORTABLE_FIELDS)
    rules, count = services.list_rules(page_request)
    return list_response(schemas.rule_response, rules, count)


@bp.post("/mgmt/intracloud")
@allow(*RULE_EDITORS)
def create_rules():
    """Create rules for every provider and service definition; 201 with the new ones."""
    body = load_json(schemas.rule_request)
    rules = services.create_rules(
        body.get("consumer_id"),
        body.get("provider_ids"),
        body.get("service_definition_ids"),
        body.get("interface_ids"),
    )
    return list_response(schemas.rule_response, rules, len(rules)), 201


@bp.get("/mgmt/intracloud/<rule_id>")
@allow(SYSOP)
def get_rule(rule_id: str):
    """Return one rule."""
    rule = services.get_rule(_parse_id(rule_id))
    return schemas.rule_response.dump(rule)


@bp.delete("/mgmt/intracloud/<rule_id>")
@allow(SYSOP)
def delete_rule(rule_id: str):
    """Delete one rule; 200 with an empty body."""
    services.delete_rule(_parse_id(rule_id))
    return "", 200


def _parse_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise BadPayload(f"Id {text!r} is not an integer.") from None


@bp.post("/intracloud/check")
@allow(RULE_CHECKERS)
def check_rules():
    """Return the requested provider interfaces the consumer's rules allow."""
    body = load_json(schemas.check_request)
    consumer = body["consumer"]
    result = services.check_rules(
        consumer["system_name"],
        consumer["address"],
        consumer["port"],
        body["service_definition_id"],
        [(item["id"], item["id_list"] or []) for item in body["providers"]],
    )
    return {
        "consumer": system_response.dump(result.consumer),
        "serviceDefinitionId": result.service_definition_id,
        "authorizedProviderIdsWithInterfaceIds": [
            {"id": provider_id, "idList": interface_ids}
            for provider_id, interface_ids in result.allowed
        ],
    }


@bp.post("/token")
@allow(TOKEN_REQUESTERS)
def generate_tokens():
    """Issue one token per provider and interface of a TokenGenerationRequestDTO."""
    token_request = load_json(schemas.token_request)
    return {"tokenData": _token_data(token_request)}


@bp.post("/token/multi")
@allow(TOKEN_REQUESTERS)
def generate_multi_service_tokens():
    """Issue tokens for a JSON array of TokenGenerationRequestDTOs."""
    items = read_json(expect=list)
    if not items:
        raise BadPayload("The request list is empty.")
    if len(items) > MAX_MULTI_TOKEN_REQUESTS:
        raise BadPayload(
            f"The request list has more than {MAX_MULTI_TOKEN_REQUESTS} items."
        )
    token_requests = load_data(schemas.token_requests, items)

    data = []
    for token_request in token_requests:
        consumer = token_request["consumer"]
        data.append(
            {
                "service": token_request["service"],
                "consumerName": consumer["system_name"],
                # The reference's TokenGenerationMultiServiceResponseDTO spells
                # this property with one "d".
                "consumerAdress": consumer["address"],
                "consumerPort": consumer["port"],
                "tokenData": _token_data(token_request),
            }
        )
    return {"data": data}


def _token_data(token_request: dict) -> list[dict]:
    cloud = token_request.get("consumer_cloud")
    providers = [
        (
            services.TokenProvider(
                system_name=item["provider"]["system_name"],
                address=item["provider"]["address"],
                port=item["provider"]["port"],
                authentication_info=item["provider"]["authentication_info"],
                interfaces=tuple(item["service_interfaces"]),
            ),
            item.get("token_duration"),
        )
        for item in token_request["providers"]
    ]
    results = services.generate_tokens_with_durations(
        token_request["consumer"]["system_name"],
        (cloud["name"], cloud["operator"]) if cloud else None,
        token_request["service"],
        providers,
    )
    return [
        {
            "providerName": result.provider.system_name,
            "providerAddress": result.provider.address,
            "providerPort": result.provider.port,
            "tokens": result.tokens,
        }
        for result in results
    ]
