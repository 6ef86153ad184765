"""Normalisation and validation of system, service and interface names."""

import re

NAME_PATTERN = re.compile(r"^[A-Za-z](?:[0-9A-Za-z-]*[0-9A-Za-z])?$")
INTERFACE_PATTERN = re.compile(r"^([A-Z_0-9]+)-(SECURE|INSECURE)-([A-Z_0-9]+)$")
MAX_NAME_LENGTH = 63
MAX_DEFINITION_LENGTH = 255
MAX_INTERFACE_LENGTH = 255

# Names of the reference's core systems; application systems may not take them.
CORE_SYSTEM_NAMES = frozenset(
    {
        "serviceregistry",
        "systemregistry",
        "deviceregistry",
        "onboardingcontroller",
        "authorization",
        "orchestrator",
        "gatekeeper",
        "eventhandler",
        "datamanager",
        "timemanager",
        "gateway",
        "choreographer",
        "configuration",
        "qosmonitor",
        "certificateauthority",
        "translator",
        "mscv",
        "plantdescriptionengine",
        "gams",
        "hawkbitconfigurationmanager",
    }
)

# Service definitions the core systems publish; application systems may not
# register them and /mgmt/services rejects them.
CORE_SERVICE_DEFINITIONS = frozenset(
    {
        "service-register",
        "service-unregister",
        "register-system",
        "unregister-system",
        "pull-systems",
        "service-query",
        "authorization-control-intra",
        "authorization-control-inter",
        "token-generation",
        "token-generation-multi-service",
        "auth-public-key",
        "authorization-control-subscription",
        "orchestration-service",
        "orchestration-service-by-proxy",
        "orchestration-create-flexible-store-rules",
        "orchestration-remove-flexible-store-rule",
        "orchestration-clean-flexible-store",
        "orchestration-qos-enabled",
        "orchestration-qos-reservations",
        "orchestration-qos-temporary-lock",
    }
)

# Core services any application system may look up with /serviceregistry/query.
PUBLIC_CORE_SERVICE_DEFINITIONS = frozenset(
    {
        "orchestration-service",
        "auth-public-key",
        "event-publish",
        "event-subscribe",
        "event-unsubscribe",
        "proxy",
        "historian",
        "choreographer-service",
        "executor-register",
        "executor-unregister",
        "translation-service",
        "conf",
        "confraw",
        "time",
    }
)


def normalize_system_name(name: str) -> str:
    """Return the stored form of a system name.

    :raises ValueError: with the reason when the name is invalid.
    """
    value = name.strip().lower()
    if not value:
        raise ValueError("System name is blank.")
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"System name is longer than {MAX_NAME_LENGTH} characters.")
    if not NAME_PATTERN.match(value):
        raise ValueError(
            f"System name {name!r} is invalid: use letters, digits and dashes, "
            "starting with a letter and not ending with a dash."
        )
    return value


def normalize_service_definition(name: str, *, strict: bool = True) -> str:
    """Return the stored form of a service definition.

    :param strict: require the system-name pattern, as the shipped reference does.
    :raises ValueError: with the reason when the definition is invalid.
    """
    value = name.strip().lower()
    if not value:
        raise ValueError("Service definition is blank.")
    limit = MAX_NAME_LENGTH if strict else MAX_DEFINITION_LENGTH
    if len(value) > limit:
        raise ValueError(f"Service definition is longer than {limit} characters.")
    if strict and not NAME_PATTERN.match(value):
        raise ValueError(
            f"Service definition {name!r} is invalid: use letters, digits and "
            "dashes, starting with a letter and not ending with a dash."
        )
    return value


def normalize_interface_name(name: str) -> str:
    """Return the stored form of an interface name.

    :raises ValueError: with the reason when the name is invalid.
    """
    value = name.strip().upper()
    if not value:
        raise ValueError("Interface name is blank.")
    if len(value) > MAX_INTERFACE_LENGTH:
        raise ValueError(
            f"Interface name is longer than {MAX_INTERFACE_LENGTH} characters."
        )
    if not INTERFACE_PATTERN.match(value):
        raise ValueError(
            f"Interface name {name!r} is invalid: use PROTOCOL-SECURE-FORMAT or "
            "PROTOCOL-INSECURE-FORMAT, for example HTTP-SECURE-JSON."
        )
    return value
