"""Network address normalisation, validation and type detection."""

import ipaddress
from dataclasses import dataclass

from .names import NAME_PATTERN

MAX_ADDRESS_LENGTH = 255
_SELF_NAMES = frozenset({"localhost", "loopback"})


@dataclass(frozen=True)
class AddressPolicy:
    """The special address ranges the registry accepts."""

    allow_self_addressing: bool = True
    allow_non_routable_addressing: bool = True


def normalize_address(text: str, policy: AddressPolicy) -> tuple[str, str]:
    """Return the stored address and its type (``IPV4``, ``IPV6`` or ``HOSTNAME``).

    IPv6 addresses are expanded to eight groups of four hex digits.

    :raises ValueError: with the reason when the address is not acceptable.
    """
    value = text.strip().lower()
    if not value:
        raise ValueError("Address is blank.")
    if len(value) > MAX_ADDRESS_LENGTH:
        raise ValueError(f"Address is longer than {MAX_ADDRESS_LENGTH} characters.")

    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]

    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return _check_hostname(value, text, policy), "HOSTNAME"

    _check_ip(ip, text, policy)
    if isinstance(ip, ipaddress.IPv6Address):
        return ip.exploded, "IPV6"
    return str(ip), "IPV4"


def _check_ip(ip, text: str, policy: AddressPolicy) -> None:
    # ipaddress in Python 3.11 does not classify an IPv4-mapped address such as
    # ::ffff:127.0.0.1 by its IPv4 address (is_loopback is False), so check
    # the IPv4 address instead.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped

    if ip.is_unspecified or ip.is_multicast:
        raise ValueError(f"Address {text!r} is not a usable unicast address.")
    if isinstance(ip, ipaddress.IPv4Address) and ip == ipaddress.IPv4Address(
        "255.255.255.255"
    ):
        raise ValueError(f"Address {text!r} is the broadcast address.")
    if ip.is_loopback and not policy.allow_self_addressing:
        raise ValueError(f"Address {text!r} is a loopback address.")
    if ip.is_link_local and not policy.allow_non_routable_addressing:
        raise ValueError(f"Address {text!r} is a link-local address.")


def _check_hostname(value: str, text: str, policy: AddressPolicy) -> str:
    labels = value.split(".")
    for label in labels:
        if len(label) > 63 or not NAME_PATTERN.match(label):
            raise ValueError(
                f"Address {text!r} is neither an IP address nor a valid host name."
            )
    if value in _SELF_NAMES and not policy.allow_self_addressing:
        raise ValueError(f"Address {text!r} is a loopback address.")
    return value
