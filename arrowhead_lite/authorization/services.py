"""Authorization logic: intra-cloud rules, rule checks and token generation.

The Orchestrator calls ``authorized_interfaces`` and ``generate_tokens`` in
process; the views call the same functions.
"""

import logging
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from ..errors import InsecureMode
from ..errors import InvalidParameter
from ..extensions import db
from ..security import keys
from ..security import tokens
from .models import AuthorizationRule
from .models import rule_interface

logger = logging.getLogger(__name__)

INSECURE_TOKEN_MESSAGE = "Token generation is not possible in insecure mode."
INSECURE_PUBLIC_KEY_MESSAGE = "Authorization core service runs in insecure mode."


class TokenGenerationFailed(InvalidParameter):
    """No provider of a token request has a usable RSA public key."""

    def __init__(self) -> None:
        super().__init__("Token generation failed for all the provider systems.")


def authorized_interfaces(
    consumer_id: int, service_definition_id: int, provider_ids: Iterable[int]
) -> dict[int, set[int]]:
    """Map each provider the rules allow to the interface ids they allow.

    One SQL statement, whatever the number of providers. Providers without a
    rule for this consumer and service definition are left out.

    :param consumer_id: the consumer's system id.
    :param service_definition_id: the service definition's id.
    :param provider_ids: candidate provider system ids; duplicates are ignored.
    :returns: provider id -> set of interface ids.
    """
    requested_ids = {int(provider_id) for provider_id in provider_ids}
    if not requested_ids:
        return {}

    statement = (
        select(AuthorizationRule.provider_system_id, rule_interface.c.interface_id)
        .join(
            rule_interface,
            rule_interface.c.authorization_intra_cloud_id == AuthorizationRule.id,
        )
        .where(
            AuthorizationRule.consumer_system_id == consumer_id,
            AuthorizationRule.service_id == service_definition_id,
            AuthorizationRule.provider_system_id.in_(requested_ids),
        )
    )

    allowed: dict[int, set[int]] = {}
    for provider_id, interface_id in db.session.execute(statement):
        allowed.setdefault(provider_id, set()).add(interface_id)
    return allowed


@dataclass(frozen=True)
class TokenProvider:
    """A provider to issue tokens for, as the token request names it."""

    system_name: str
    address: str
    port: int
    authentication_info: str | None
    interfaces: tuple[str, ...]


@dataclass(frozen=True)
class ProviderTokens:
    """The tokens issued for one provider: interface name -> token."""

    provider: TokenProvider
    tokens: dict[str, str]


def generate_tokens(
    consumer_name: str,
    consumer_cloud: tuple[str, str] | None,
    service_definition: str,
    providers: Sequence[TokenProvider],
    duration_seconds: int | None = None,
) -> list[ProviderTokens]:
    """Issue one token per provider and interface.

    Each token's signature uses the Authorization private key loaded at start-up.

    :param consumer_name: the consumer's system name.
    :param consumer_cloud: ``(name, operator)`` of the consumer's cloud, or None
        for this cloud.
    :param service_definition: the service definition the tokens grant.
    :param providers: the providers with their keys and interface names.
    :param duration_seconds: token lifetime; None means
        ``ARROWHEAD_TOKEN_LIFETIME_SECONDS``; 0 or less issues tokens without
        ``exp``.
    :returns: the tokens of each usable provider, in the order given. Providers
        whose ``authentication_info`` is not an RSA public key of at least 2048
        bits are skipped.
    :raises InsecureMode: in ``ARROWHEAD_TLS_MODE=off`` (500).
    :raises TokenGenerationFailed: when no provider is usable (400).
    """
    authorization_keys = keys.authorization_keys()
    if authorization_keys is None:
        raise InsecureMode(INSECURE_TOKEN_MESSAGE)

    if duration_seconds is None:
        duration_seconds = current_app.config["ARROWHEAD_TOKEN_LIFETIME_SECONDS"]
    if consumer_cloud is None:
        consumer_cloud = (
            current_app.config["ARROWHEAD_CLOUD_NAME"],
            current_app.config["ARROWHEAD_CLOUD_OPERATOR"],
        )
    cloud_name, cloud_operator = consumer_cloud
    consumer_id = (
        f"{consumer_name.strip()}.{cloud_name.strip()}.{cloud_operator.strip()}"
    )

    results: list[ProviderTokens] = []
    for provider in providers:
        try:
            provider_key = keys.public_key_from_base64(provider.authentication_info)
        except ValueError as error:
            logger.warning(
                "Skipped provider %s (%s:%s) for %s tokens: %s",
                provider.system_name,
                provider.address,
                provider.port,
                service_definition,
                error,
            )
            continue

        issued = {}
        for interface in provider.interfaces:
            claims = tokens.build_claims(
                consumer_id, service_definition.strip(), interface, duration_seconds
            )
            issued[interface] = tokens.issue_token(
                claims, authorization_keys.private_key, provider_key
            )
        results.append(ProviderTokens(provider, issued))

    if not results:
        raise TokenGenerationFailed()
    return results


def authorization_public_key() -> str:
    """Return the Authorization public key as Base64 DER SubjectPublicKeyInfo.

    :raises InsecureMode: in ``ARROWHEAD_TLS_MODE=off`` (500).
    """
    authorization_keys = keys.authorization_keys()
    if authorization_keys is None:
        raise InsecureMode(INSECURE_PUBLIC_KEY_MESSAGE)
    return authorization_keys.public_key_base64
