"""Caller identity: the client certificate, read as the TLS mode prescribes.

``direct``: gunicorn terminates TLS and has verified the certificate; it is read
from the connection (``gunicorn.socket``). ``proxy``: nginx terminates TLS; the
forwarded certificate is accepted only from a trusted proxy with a successful
verification header and is verified again against the truststore. ``off``: no
identities. Certificate headers are never read in ``direct`` or ``off`` mode.
"""

import ipaddress
import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from urllib.parse import unquote

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID
from flask import Flask
from flask import current_app
from flask import g
from flask import request

from ..config import ConfigError
from ..config import certs_dir
from ..errors import Unauthorized
from ..registry.names import CORE_SYSTEM_NAMES

logger = logging.getLogger(__name__)

CERT_HEADER = "X-SSL-Client-Cert"
VERIFY_HEADER = "X-SSL-Client-Verify"
_MAX_HEADER_CERT_BYTES = 16384


@dataclass(frozen=True)
class Identity:
    """The caller named by its certificate's common name."""

    common_name: str
    system_name: str
    is_sysop: bool
    is_core: bool

    @property
    def core_system(self) -> str | None:
        return self.system_name if self.is_core else None


def common_name_of(certificate: x509.Certificate) -> str | None:
    """Return the certificate's subject CN, or None if it has none."""
    attributes = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not attributes:
        return None
    value = attributes[0].value
    return value if isinstance(value, str) else value.decode()


def identity_from_common_name(common_name: str, server_cloud_cn: str) -> Identity:
    """Check an Arrowhead CN against this cloud and return the identity.

    :raises Unauthorized: unless the CN has five labels, ends in ``arrowhead.eu``
        and names this server's cloud.
    """
    labels = common_name.split(".")
    if len(labels) != 5 or [label.lower() for label in labels[3:]] != [
        "arrowhead",
        "eu",
    ]:
        raise Unauthorized(
            f"{common_name} is unauthorized to access {request.path}: the "
            "certificate name must be <system>.<cloud>.<operator>.arrowhead.eu."
        )

    cloud = ".".join(labels[1:]).lower()
    if cloud != server_cloud_cn:
        raise Unauthorized(
            f"{common_name} is unauthorized to access {request.path}: it belongs "
            f"to cloud {cloud}, not {server_cloud_cn}."
        )

    system_name = labels[0].lower()
    return Identity(
        common_name=common_name,
        system_name=system_name,
        is_sysop=system_name == "sysop",
        is_core=system_name in CORE_SYSTEM_NAMES,
    )


def current_identity() -> Identity | None:
    """Return the caller's identity, or None when the TLS mode is ``off``.

    The identity is resolved once per request and cached on ``g``.

    :raises Unauthorized: in a secure mode without an acceptable certificate.
    """
    if "identity" in g:
        return g.identity

    if current_app.config["ARROWHEAD_TLS_MODE"] == "off":
        g.identity = None
        return None

    certificate = _peer_certificate()
    if certificate is None:
        raise Unauthorized(
            f"Unauthorized access: {request.path} needs a client certificate."
        )

    common_name = common_name_of(certificate)
    if not common_name:
        raise Unauthorized("Unauthorized access: the client certificate has no CN.")

    g.identity = identity_from_common_name(
        common_name, current_app.config["SERVER_CLOUD_CN"]
    )
    return g.identity


def _peer_certificate() -> x509.Certificate | None:
    if current_app.config["ARROWHEAD_TLS_MODE"] == "direct":
        return _certificate_from_connection()
    return _certificate_from_proxy()


def _certificate_from_connection() -> x509.Certificate | None:
    connection = request.environ.get("gunicorn.socket") or request.environ.get(
        "gunicorn.sock"
    )
    getpeercert = getattr(connection, "getpeercert", None)
    if getpeercert is None:
        return None

    # getpeercert() returns an empty dict for a certificate that the TLS layer
    # did not validate, so a server started without cert_reqs=CERT_REQUIRED
    # and ca_certs cannot pass an unchecked certificate on.
    if not getpeercert():
        return None

    der = getpeercert(binary_form=True)
    if not der:
        return None
    return x509.load_der_x509_certificate(der)


def _certificate_from_proxy() -> x509.Certificate | None:
    if not _peer_is_trusted_proxy():
        if request.headers.get(CERT_HEADER):
            logger.warning(
                "Ignored certificate headers from untrusted peer %r",
                request.remote_addr,
            )
        return None

    if request.headers.get(VERIFY_HEADER) != "SUCCESS":
        return None

    escaped = request.headers.get(CERT_HEADER, "")
    if not escaped or len(escaped) > _MAX_HEADER_CERT_BYTES:
        return None

    try:
        certificate = x509.load_pem_x509_certificate(unquote(escaped).encode())
    except ValueError:
        logger.warning("Forwarded client certificate is not a PEM certificate")
        return None

    if not _issued_by_truststore(certificate):
        logger.warning(
            "Forwarded client certificate %s is not issued by the truststore",
            common_name_of(certificate),
        )
        return None
    return certificate


def _peer_is_trusted_proxy() -> bool:
    connection = request.environ.get("gunicorn.socket")
    family = getattr(connection, "family", None)
    if family == socket.AF_UNIX:
        return True

    try:
        peer = ipaddress.ip_address(request.environ.get("REMOTE_ADDR", ""))
    except ValueError:
        return False

    # An IPv4 peer on a dual-stack socket shows as ::ffff:a.b.c.d.
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped
    return any(
        peer in network
        for network in current_app.extensions["arrowhead_trusted_proxies"]
    )


def parse_trusted_proxies(entries: list[str]) -> list:
    """Return the networks of ``ARROWHEAD_TRUSTED_PROXIES`` entries.

    An entry is an address (``127.0.0.1``, ``::1``) or a network
    (``10.0.0.0/24``).

    :raises ConfigError: naming the first entry that is neither.
    """
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=True))
        except ValueError as error:
            raise ConfigError(
                f"ARROWHEAD_TRUSTED_PROXIES entry {entry!r} is invalid: {error}; "
                "use IP addresses or networks such as 10.0.0.0/24"
            ) from None
    return networks


def _issued_by_truststore(certificate: x509.Certificate) -> bool:
    now = datetime.now(UTC)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        return False

    for authority in current_app.extensions["arrowhead_truststore"]:
        if authority.subject != certificate.issuer:
            continue
        try:
            certificate.verify_directly_issued_by(authority)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return True
    return False


def load_truststore(path: str) -> list[x509.Certificate]:
    """Read every CA certificate in the PEM bundle at ``path``.

    :raises ConfigError: naming the file when it is missing or unreadable.
    """
    try:
        with open(path, "rb") as bundle:
            return x509.load_pem_x509_certificates(bundle.read())
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read the truststore {path}: {error}") from None


def init_app(app: Flask) -> None:
    """Load the truststore and trusted proxies for ``proxy`` mode; log the mode.

    :raises ConfigError: when ``ARROWHEAD_TRUSTED_PROXIES`` has an invalid entry
        or the truststore exists but cannot be read.
    """
    mode = app.config["ARROWHEAD_TLS_MODE"]
    app.extensions["arrowhead_truststore"] = []
    app.extensions["arrowhead_trusted_proxies"] = parse_trusted_proxies(
        app.config["ARROWHEAD_TRUSTED_PROXIES"]
    )
    if mode == "proxy":
        path = os.path.join(certs_dir(app.config), "truststore.pem")
        if os.path.exists(path):
            app.extensions["arrowhead_truststore"] = load_truststore(path)
        else:
            # The app still starts so that 'flask certs init' can create the
            # file; gunicorn_conf refuses to serve in proxy mode without it.
            logger.error(
                "ARROWHEAD_TLS_MODE=proxy but %s is missing: every forwarded "
                "certificate is rejected until it exists and the service restarts",
                path,
            )

    if mode == "off":
        logger.warning(
            "ARROWHEAD_TLS_MODE=off: the service is insecure, with no client "
            "identities, no access control and no tokens"
        )
    else:
        logger.info("TLS mode %s for cloud %s", mode, app.config["SERVER_CLOUD_CN"])
