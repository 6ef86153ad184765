"""Who may call each endpoint in direct mode: one row per route of the app.

Every route in ``app.url_map`` must have a row, so a new route cannot go
unchecked. Each row lists the callers that the contract's access tables (and the
documented differences in README.rst) let through. Callers:

- ``none``: no client certificate;
- ``foreign``: a certificate of another cloud;
- ``self``: the application system ``consumer`` acting for itself;
- ``other``: ``consumer`` acting for the system ``provider``;
- ``core``: the core system the contract allows, acting for itself;
- ``core_denied``: a core system the contract does not allow, acting for
  ``provider``;
- ``sysop``: the operator, acting for ``provider``.

An allowed caller gets any response but 401 and never a 500. A denied caller
gets 401 with the Arrowhead error body, and no table changes.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func
from sqlalchemy import select

from arrowhead_lite.extensions import db
from arrowhead_lite.orchestrator import store
from tests import helpers
from tests.orchestrator import factories

DEFINITION = factories.DEFINITION
SECURE_JSON = factories.SECURE_JSON
ERROR_KEYS = {"errorMessage", "errorCode", "exceptionType", "origin"}
PORTS = {"consumer": 9000, "provider": 8080}
SYSTEM_IDS = {"consumer": 1, "provider": 2}
FOREIGN_CN = "consumer.othercloud.aitia.arrowhead.eu"
# Flask's own route for arrowhead_lite/static, which holds only the assets of the
# public API page.
IGNORED_ENDPOINTS = {"static"}


def system(name: str) -> dict:
    return helpers.system_body(name, PORTS.get(name, 7000))


def provider_with_key() -> dict:
    return {**system("provider"), "authenticationInfo": helpers.public_key_base64()}


def orchestration_form(name: str) -> dict:
    return factories.form(requester_name=name, port=PORTS.get(name, 7000))


def token_request() -> dict:
    return {
        "consumer": system("consumer"),
        "providers": [
            {"provider": provider_with_key(), "serviceInterfaces": [SECURE_JSON]}
        ],
        "service": DEFINITION,
    }


def system_query(name: str) -> dict:
    """Return a query string naming system ``name`` as the unregister calls do."""
    return {"system_name": name, "address": "127.0.0.1", "port": PORTS.get(name, 7000)}


@dataclass(frozen=True)
class Request:
    path: str
    json: object = None
    query: dict | None = None


@dataclass(frozen=True)
class Row:
    """The callers that one route lets through.

    ``build`` returns the request for the system the caller acts for.
    """

    method: str
    rule: str
    build: Callable[[str], Request]
    self_: bool = False
    other: bool = False
    core: str | None = None
    core_denied: str | None = None
    sysop: bool = False
    public: bool = False


def fixed(path: str, body: object = None) -> Callable[[str], Request]:
    return lambda name: Request(path, body)


def mgmt(method: str, rule: str, path: str, body: object = None) -> Row:
    """Return a row for an endpoint that only sysop may call."""
    return Row(method, rule, fixed(path, body), core_denied="orchestrator", sysop=True)


def any_system(method: str, rule: str) -> Row:
    """Return a row for an endpoint that every system of this cloud may call."""
    return Row(method, rule, fixed(rule), True, True, "orchestrator", None, True)


def public(rule: str, path: str | None = None) -> Row:
    """Return a row for a GET endpoint that needs no certificate."""
    return Row("GET", rule, fixed(path or rule), True, True, sysop=True, public=True)


def core_only(
    method: str, rule: str, path: str, body: object, allowed: str, denied: str
) -> Row:
    """Return a row for a core-to-core endpoint."""
    return Row(method, rule, fixed(path, body), core=allowed, core_denied=denied)


SR = "/serviceregistry"
AUTH = "/authorization"
ORCH = "/orchestrator"
INT = "<int(signed=True):{}>"

ROWS = [
    # Public: the API document, its page and the liveness check.
    public("/health"),
    public("/openapi.json"),
    public("/docs"),
    public("/docs/<name>", "/docs/docs.js"),
    # Service Registry: client endpoints.
    any_system("GET", f"{SR}/echo"),
    Row(
        "POST",
        f"{SR}/register",
        lambda name: Request(
            f"{SR}/register",
            helpers.entry_body(DEFINITION, name, PORTS.get(name, 7000)),
        ),
        self_=True,
        core="orchestrator",
        core_denied="gatekeeper",
    ),
    Row(
        "DELETE",
        f"{SR}/unregister",
        lambda name: Request(
            f"{SR}/unregister",
            query={
                **system_query(name),
                "service_definition": DEFINITION,
                "service_uri": f"/{DEFINITION}",
            },
        ),
        self_=True,
        core="orchestrator",
        core_denied="gatekeeper",
    ),
    # Application systems may query only the public core services: the
    # consumer acting for itself requests one, every other caller a plain one.
    Row(
        "POST",
        f"{SR}/query",
        lambda name: Request(
            f"{SR}/query",
            {
                "serviceDefinitionRequirement": "orchestration-service"
                if name == "consumer"
                else DEFINITION
            },
        ),
        self_=True,
        core="orchestrator",
        core_denied="translator",
    ),
    Row(
        "POST",
        f"{SR}/register-system",
        lambda name: Request(f"{SR}/register-system", system(name)),
        self_=True,
        core="choreographer",
        core_denied="orchestrator",
    ),
    Row(
        "DELETE",
        f"{SR}/unregister-system",
        lambda name: Request(f"{SR}/unregister-system", query=system_query(name)),
        self_=True,
        core="plantdescriptionengine",
        core_denied="orchestrator",
    ),
    core_only(
        "GET",
        f"{SR}/pull-systems",
        f"{SR}/pull-systems",
        None,
        "plantdescriptionengine",
        "choreographer",
    ),
    # Service Registry: core-to-core endpoints.
    core_only(
        "POST",
        f"{SR}/query/multi",
        f"{SR}/query/multi",
        {"forms": [{"serviceDefinitionRequirement": DEFINITION}]},
        "orchestrator",
        "translator",
    ),
    core_only(
        "GET",
        f"{SR}/query/system/" + INT.format("system_id"),
        f"{SR}/query/system/1",
        None,
        "orchestrator",
        "choreographer",
    ),
    core_only(
        "POST",
        f"{SR}/query/system",
        f"{SR}/query/system",
        system("consumer"),
        "orchestrator",
        "gatekeeper",
    ),
    core_only(
        "GET", f"{SR}/query/all", f"{SR}/query/all", None, "qosmonitor", "orchestrator"
    ),
    core_only(
        "GET",
        f"{SR}/query/provider/" + INT.format("system_id"),
        f"{SR}/query/provider/2",
        None,
        "choreographer",
        "orchestrator",
    ),
    core_only(
        "POST",
        f"{SR}/query/definition",
        f"{SR}/query/definition",
        [DEFINITION],
        "choreographer",
        "orchestrator",
    ),
    Row("GET", f"{SR}/pull-config", fixed(f"{SR}/pull-config"), core="gatekeeper"),
    # Service Registry: management.
    mgmt("GET", f"{SR}/mgmt", f"{SR}/mgmt"),
    mgmt(
        "POST",
        f"{SR}/mgmt",
        f"{SR}/mgmt",
        helpers.entry_body(DEFINITION, "sensor", 7001),
    ),
    mgmt("GET", f"{SR}/mgmt/" + INT.format("entry_id"), f"{SR}/mgmt/1"),
    mgmt(
        "PUT",
        f"{SR}/mgmt/" + INT.format("entry_id"),
        f"{SR}/mgmt/1",
        helpers.entry_body(DEFINITION, "provider", 8080),
    ),
    mgmt(
        "PATCH",
        f"{SR}/mgmt/" + INT.format("entry_id"),
        f"{SR}/mgmt/1",
        {"version": 2},
    ),
    mgmt("DELETE", f"{SR}/mgmt/" + INT.format("entry_id"), f"{SR}/mgmt/1"),
    mgmt("GET", f"{SR}/mgmt/grouped", f"{SR}/mgmt/grouped"),
    mgmt(
        "GET",
        f"{SR}/mgmt/servicedef/<path:service_definition>",
        f"{SR}/mgmt/servicedef/{DEFINITION}",
    ),
    mgmt("GET", f"{SR}/mgmt/services", f"{SR}/mgmt/services"),
    mgmt(
        "POST",
        f"{SR}/mgmt/services",
        f"{SR}/mgmt/services",
        {"serviceDefinition": "humidity"},
    ),
    *(
        mgmt(
            method,
            f"{SR}/mgmt/services/" + INT.format("definition_id"),
            f"{SR}/mgmt/services/1",
            body,
        )
        for method, body in (
            ("GET", None),
            ("PUT", {"serviceDefinition": "humidity"}),
            ("PATCH", {"serviceDefinition": "humidity"}),
            ("DELETE", None),
        )
    ),
    mgmt("GET", f"{SR}/mgmt/systems", f"{SR}/mgmt/systems"),
    mgmt("POST", f"{SR}/mgmt/systems", f"{SR}/mgmt/systems", system("sensor")),
    *(
        mgmt(
            method,
            f"{SR}/mgmt/systems/" + INT.format("system_id"),
            f"{SR}/mgmt/systems/2",
            body,
        )
        for method, body in (
            ("GET", None),
            ("PUT", system("provider")),
            ("PATCH", {"port": 8082}),
            ("DELETE", None),
        )
    ),
    mgmt("GET", f"{SR}/mgmt/interfaces", f"{SR}/mgmt/interfaces"),
    mgmt(
        "POST",
        f"{SR}/mgmt/interfaces",
        f"{SR}/mgmt/interfaces",
        {"interfaceName": "HTTP-SECURE-XML"},
    ),
    *(
        mgmt(
            method,
            f"{SR}/mgmt/interfaces/" + INT.format("interface_id"),
            f"{SR}/mgmt/interfaces/2",
            body,
        )
        for method, body in (
            ("GET", None),
            ("PUT", {"interfaceName": "HTTP-SECURE-XML"}),
            ("PATCH", {"interfaceName": "HTTP-SECURE-XML"}),
            ("DELETE", None),
        )
    ),
    # Authorization.
    any_system("GET", f"{AUTH}/echo"),
    any_system("GET", f"{AUTH}/publickey"),
    core_only(
        "POST",
        f"{AUTH}/intracloud/check",
        f"{AUTH}/intracloud/check",
        {
            "consumer": system("consumer"),
            "serviceDefinitionId": 1,
            "providerIdsWithInterfaceIds": [{"id": 2, "idList": [1]}],
        },
        "orchestrator",
        "choreographer",
    ),
    core_only(
        "POST",
        f"{AUTH}/token",
        f"{AUTH}/token",
        token_request(),
        "orchestrator",
        "gatekeeper",
    ),
    core_only(
        "POST",
        f"{AUTH}/token/multi",
        f"{AUTH}/token/multi",
        [token_request()],
        "choreographer",
        "gatekeeper",
    ),
    Row(
        "GET",
        f"{AUTH}/mgmt/intracloud",
        fixed(f"{AUTH}/mgmt/intracloud"),
        core="onboardingcontroller",
        core_denied="orchestrator",
        sysop=True,
    ),
    Row(
        "POST",
        f"{AUTH}/mgmt/intracloud",
        fixed(
            f"{AUTH}/mgmt/intracloud",
            {
                "consumerId": 2,
                "providerIds": [1],
                "serviceDefinitionIds": [1],
                "interfaceIds": [1],
            },
        ),
        core="mscv",
        core_denied="orchestrator",
        sysop=True,
    ),
    *(
        Row(
            method,
            f"{AUTH}/mgmt/intracloud/<rule_id>",
            fixed(f"{AUTH}/mgmt/intracloud/1"),
            core_denied="onboardingcontroller",
            sysop=True,
        )
        for method in ("GET", "DELETE")
    ),
    # Orchestrator.
    any_system("GET", f"{ORCH}/echo"),
    # Any system for itself, and sysop for any system (a documented difference).
    Row(
        "POST",
        f"{ORCH}/orchestration",
        lambda name: Request(f"{ORCH}/orchestration", orchestration_form(name)),
        self_=True,
        core="gatekeeper",
        core_denied="choreographer",
        sysop=True,
    ),
    # Only that consumer or sysop (the reference lets any system).
    Row(
        "GET",
        f"{ORCH}/orchestration/" + INT.format("consumer_id"),
        lambda name: Request(f"{ORCH}/orchestration/{SYSTEM_IDS.get(name, 99)}"),
        self_=True,
        core_denied="orchestrator",
        sysop=True,
    ),
    mgmt(
        "POST",
        f"{ORCH}/mgmt/explain",
        f"{ORCH}/mgmt/explain",
        orchestration_form("consumer"),
    ),
    mgmt("GET", f"{ORCH}/mgmt/store", f"{ORCH}/mgmt/store"),
    mgmt(
        "POST",
        f"{ORCH}/mgmt/store",
        f"{ORCH}/mgmt/store",
        [
            factories.store_rule_body(
                1, "provider", 2, interface_name="HTTP-INSECURE-JSON"
            )
        ],
    ),
    mgmt("GET", f"{ORCH}/mgmt/store/" + INT.format("rule_id"), f"{ORCH}/mgmt/store/1"),
    mgmt(
        "DELETE", f"{ORCH}/mgmt/store/" + INT.format("rule_id"), f"{ORCH}/mgmt/store/1"
    ),
    mgmt(
        "POST",
        f"{ORCH}/mgmt/store/all_by_consumer",
        f"{ORCH}/mgmt/store/all_by_consumer",
        {"consumerSystemId": 1, "serviceDefinitionName": DEFINITION},
    ),
    mgmt(
        "GET",
        f"{ORCH}/mgmt/store/all_top_priority",
        f"{ORCH}/mgmt/store/all_top_priority",
    ),
    mgmt(
        "POST",
        f"{ORCH}/mgmt/store/modify_priorities",
        f"{ORCH}/mgmt/store/modify_priorities",
        {"priorityMap": {"1": 1}},
    ),
]


def callers(row: Row) -> list[tuple[str, str | None, str, bool]]:
    """Return (column, certificate, acts for, allowed) for each caller of ``row``."""
    result = [
        ("none", None, "consumer", row.public),
        ("foreign", FOREIGN_CN, "consumer", row.public),
        ("self", "consumer", "consumer", row.self_),
        ("other", "consumer", "provider", row.other),
        ("sysop", "sysop", "provider", row.sysop),
    ]
    if row.core:
        result.append(("core", row.core, row.core, True))
    if row.core_denied:
        result.append(("core_denied", row.core_denied, "provider", False))
    return result


ROW_PARAMS = [pytest.param(row, id=f"{row.method} {row.rule}") for row in ROWS]


@pytest.fixture
def seeded_app(secure_app):
    """Consumer 1 and provider 2 with an entry, a rule and a store rule, id 1 each."""
    with secure_app.app_context():
        consumer = factories.system("consumer", PORTS["consumer"])
        provider = factories.system("provider", PORTS["provider"], key="default")
        factories.entry(provider, secure="TOKEN")
        factories.rule(consumer, provider)
        db.session.commit()
        store.create_rules(
            [
                {
                    "consumer_system_id": consumer.id,
                    "service_definition": DEFINITION,
                    "provider_system": {
                        "system_name": "provider",
                        "address": "127.0.0.1",
                        "port": PORTS["provider"],
                    },
                    "service_interface": SECURE_JSON,
                    "priority": 1,
                    "cloud": None,
                    "attribute": None,
                }
            ]
        )
        db.session.remove()
    return secure_app


def row_counts(app) -> dict[str, int]:
    """Return the number of rows of every table."""
    with app.app_context():
        counts = {
            table.name: db.session.execute(
                select(func.count()).select_from(table)
            ).scalar_one()
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    return counts


def route_keys(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in IGNORED_ENDPOINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_table_covers_every_route(secure_app):
    table = [(row.method, row.rule) for row in ROWS]

    assert route_keys(secure_app) - set(table) == set()


def test_table_has_only_routes(secure_app):
    table = [(row.method, row.rule) for row in ROWS]

    assert set(table) - route_keys(secure_app) == set()


def test_table_rows_unique():
    table = [(row.method, row.rule) for row in ROWS]

    assert len(table) == len(set(table))


def call(app, row: Row, certificate: str | None, name: str):
    request = row.build(name)
    return app.test_client().open(
        request.path,
        method=row.method,
        json=request.json,
        query_string=request.query,
        environ_overrides=helpers.caller(certificate) if certificate else {},
    )


@pytest.mark.parametrize("row", ROW_PARAMS)
def test_denied_callers(seeded_app, row):
    before = row_counts(seeded_app)

    for column, certificate, name, allowed in callers(row):
        if allowed:
            continue
        response = call(seeded_app, row, certificate, name)

        assert response.status_code == 401, (column, response.get_data(True))
        assert set(response.json) == ERROR_KEYS, column
        assert response.json["exceptionType"] == "AUTH", column
        assert row_counts(seeded_app) == before, column


@pytest.mark.parametrize("row", ROW_PARAMS)
def test_allowed_callers(seeded_app, row):
    for column, certificate, name, allowed in callers(row):
        if not allowed:
            continue
        response = call(seeded_app, row, certificate, name)

        assert response.status_code != 401, (column, response.get_data(True))
        assert response.status_code < 500, (column, response.get_data(True))


@pytest.mark.parametrize("system", ["consumer", "orchestrator"])
def test_unknown_consumer_id_denied(seeded_app, system):
    response = seeded_app.test_client().get(
        f"{ORCH}/orchestration/99", environ_overrides=helpers.caller(system)
    )

    assert response.status_code == 401
    assert response.json["exceptionType"] == "AUTH"


def test_unknown_consumer_id_sysop_not_found(seeded_app):
    response = seeded_app.test_client().get(
        f"{ORCH}/orchestration/99", environ_overrides=helpers.caller("sysop")
    )

    assert response.status_code == 400
    assert "not found" in response.json["errorMessage"]
