"""Normalisation and checks of Service Registry input."""

from collections.abc import Iterable

from flask import current_app

from ..errors import BadPayload
from ..errors import InvalidParameter
from . import names
from .addresses import AddressPolicy
from .addresses import normalize_address
from .models import SECURITY_TYPES
from .query import QueryForm

NOT_SECURE = "NOT_SECURE"


def address_policy() -> AddressPolicy:
    """Return the address ranges the configuration accepts."""
    config = current_app.config
    return AddressPolicy(
        allow_self_addressing=config["ARROWHEAD_ALLOW_SELF_ADDRESSING"],
        allow_non_routable_addressing=config["ARROWHEAD_ALLOW_NON_ROUTABLE_ADDRESSING"],
    )


def normalize_system_name(text: str, *, reject_reserved: bool = False) -> str:
    """Return the stored system name.

    :param reject_reserved: reject the names of the core systems.
    :raises BadPayload: when the name is blank or invalid.
    :raises InvalidParameter: when the name is reserved and ``reject_reserved`` is set.
    """
    try:
        name = names.normalize_system_name(text)
    except ValueError as error:
        raise BadPayload(str(error)) from None

    if reject_reserved and name in names.CORE_SYSTEM_NAMES:
        raise InvalidParameter(
            f"System name '{name}' is reserved for a core system. Choose another name."
        )
    return name


def normalize_system_address(text: str) -> tuple[str, str]:
    """Return the stored address and its type.

    :raises BadPayload: when the address is not acceptable.
    """
    try:
        return normalize_address(text, address_policy())
    except ValueError as error:
        raise BadPayload(
            f"{error} Address detection process was skipped, so send a valid address."
        ) from None


def normalize_definition(text: str, *, reject_reserved: bool = False) -> str:
    """Return the stored service definition.

    :param reject_reserved: reject the core systems' service definitions.
    :raises BadPayload: when the definition is blank or invalid.
    :raises InvalidParameter: when it is reserved and ``reject_reserved`` is set.
    """
    strict = current_app.config["ARROWHEAD_STRICT_SERVICE_DEFINITIONS"]
    try:
        definition = names.normalize_service_definition(text, strict=strict)
    except ValueError as error:
        raise BadPayload(str(error)) from None

    if reject_reserved and definition in names.CORE_SERVICE_DEFINITIONS:
        raise InvalidParameter(
            f"Service definition '{definition}' is reserved for a core service."
        )
    return definition


def normalize_interfaces(texts: Iterable[str]) -> list[str]:
    """Return the stored interface names, without repeats, in the given order.

    :raises BadPayload: when the list is empty or a name is invalid.
    """
    result: list[str] = []
    for text in texts:
        try:
            name = names.normalize_interface_name(text)
        except ValueError as error:
            raise BadPayload(str(error)) from None
        if name not in result:
            result.append(name)

    if not result:
        raise BadPayload(
            "Interfaces list is null or empty. Give at least one interface."
        )
    return result


def normalize_security_type(text: str | None) -> str:
    """Return the upper-case security type, ``NOT_SECURE`` for ``None``.

    :raises BadPayload: for a value other than NOT_SECURE, CERTIFICATE or TOKEN.
    """
    if text is None:
        return NOT_SECURE

    value = text.strip().upper()
    if value not in SECURITY_TYPES:
        raise BadPayload(
            f"Security type is not valid: {text!r}. Use one of "
            f"{', '.join(SECURITY_TYPES)}."
        )
    return value


def check_security(secure: str, authentication_info: str | None) -> None:
    """Reject a secure service without TLS or without authentication info."""
    if secure == NOT_SECURE:
        return

    if current_app.config["ARROWHEAD_TLS_MODE"] == "off":
        raise InvalidParameter(
            "ServiceRegistry insecure mode can not handle secure services. "
            "Register with secure NOT_SECURE or run with a TLS mode."
        )
    if not authentication_info or not authentication_info.strip():
        raise BadPayload(
            "Security type is in conflict with the availability of the "
            "authentication info: a CERTIFICATE or TOKEN service needs the "
            "provider's authenticationInfo."
        )


def to_query_form(data: dict) -> QueryForm:
    """Build a normalised QueryForm from a loaded ServiceQueryFormDTO.

    :raises BadPayload: when the definition requirement is blank or invalid.
    """
    interfaces = tuple(
        dict.fromkeys(name.strip().upper() for name in data.get("interfaces") or ())
    )
    return QueryForm(
        service_definition=normalize_definition(data["service_definition"]),
        interfaces=interfaces,
        security_types=tuple(data.get("security_types") or ()),
        metadata=data.get("metadata"),
        version=data.get("version"),
        min_version=data.get("min_version"),
        max_version=data.get("max_version"),
        address_types=tuple(data.get("address_types") or ()),
        ping_providers=bool(data.get("ping_providers")),
    )
