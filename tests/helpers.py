"""Helpers shared by the tests: callers with certificates, sample bodies."""

import datetime
import functools

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

CLOUD_NAME = "testcloud"
CLOUD_OPERATOR = "aitia"
CLOUD_CN = f"{CLOUD_NAME}.{CLOUD_OPERATOR}.arrowhead.eu"


@functools.cache
def rsa_key(name: str = "default") -> rsa.RSAPrivateKey:
    """Return an RSA-2048 key, one per name, generated once per test session."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_key_base64(name: str = "default") -> str:
    """Return the key's public half as Base64 DER SubjectPublicKeyInfo."""
    import base64

    der = (
        rsa_key(name)
        .public_key()
        .public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return base64.b64encode(der).decode()


def authorization_public_key() -> rsa.RSAPublicKey:
    """Return the Authorization public key of the apps the fixtures build."""
    return rsa_key("authorization").public_key()


def write_authorization_keys(directory) -> None:
    """Write ``auth-private.pem`` and ``auth-public.pem`` unless they exist."""
    import os

    os.makedirs(directory, exist_ok=True)
    private_path = os.path.join(directory, "auth-private.pem")
    public_path = os.path.join(directory, "auth-public.pem")
    if os.path.exists(private_path) or os.path.exists(public_path):
        return

    key = rsa_key("authorization")
    with open(private_path, "wb") as private_file:
        private_file.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    with open(public_path, "wb") as public_file:
        public_file.write(
            key.public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
        )


@functools.cache
def certificate_der(common_name: str) -> bytes:
    """Return a self-signed certificate for ``common_name`` in DER form."""
    key = rsa_key("certificates")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.DER)


class PeerConnection:
    """Stands in for gunicorn's TLS socket: only ``getpeercert`` is used."""

    def __init__(self, der: bytes | None) -> None:
        self.der = der

    def getpeercert(self, binary_form: bool = False):
        return self.der


def caller(system: str, cloud_cn: str = CLOUD_CN) -> dict:
    """Return ``environ_overrides`` that make a request come from ``system``.

    ``system`` is a system name of this cloud, or a full CN when it contains dots.
    """
    common_name = system if "." in system else f"{system}.{cloud_cn}"
    return {"gunicorn.socket": PeerConnection(certificate_der(common_name))}


def system_body(name: str, port: int = 8080, address: str = "127.0.0.1", **extra):
    body = {"systemName": name, "address": address, "port": port}
    body.update(extra)
    return body


def entry_body(
    definition: str,
    provider: str,
    port: int = 8080,
    interfaces=("HTTP-SECURE-JSON",),
    **extra,
):
    body = {
        "serviceDefinition": definition,
        "providerSystem": system_body(provider, port),
        "serviceUri": f"/{definition}",
        "interfaces": list(interfaces),
    }
    body.update(extra)
    return body
