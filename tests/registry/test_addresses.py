"""Address normalisation and the self and non-routable addressing policies."""

import pytest

from arrowhead_lite.registry.addresses import AddressPolicy
from arrowhead_lite.registry.addresses import normalize_address

STRICT = AddressPolicy(allow_self_addressing=False, allow_non_routable_addressing=False)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "localhost",
        "::1",
        "[::1]",
        "::ffff:127.0.0.1",
        "::ffff:7f00:2",
        "[::ffff:127.0.0.1]",
    ],
)
def test_address_loopback_rejected(address):
    with pytest.raises(ValueError, match="loopback"):
        normalize_address(address, STRICT)


@pytest.mark.parametrize("address", ["169.254.1.1", "fe80::1", "::ffff:169.254.1.1"])
def test_address_link_local_rejected(address):
    with pytest.raises(ValueError, match="link-local"):
        normalize_address(address, STRICT)


@pytest.mark.parametrize("address", ["0.0.0.0", "::", "::ffff:0.0.0.0", "224.0.0.1"])
def test_address_not_unicast_rejected(address):
    with pytest.raises(ValueError, match="unicast"):
        normalize_address(address, AddressPolicy())


@pytest.mark.parametrize("address", ["255.255.255.255", "::ffff:255.255.255.255"])
def test_address_broadcast_rejected(address):
    with pytest.raises(ValueError, match="broadcast"):
        normalize_address(address, AddressPolicy())


def test_address_mapped_ipv4_kept_as_ipv6():
    stored, kind = normalize_address("::ffff:10.0.0.5", STRICT)

    assert stored == "0000:0000:0000:0000:0000:ffff:0a00:0005"
    assert kind == "IPV6"


def test_address_loopback_allowed_by_default():
    assert normalize_address("::ffff:127.0.0.1", AddressPolicy())[1] == "IPV6"
