"""Development PKI: a cloud CA and certificates for the server and systems.

Every certificate is RSA-2048 signed with SHA-256 and carries subject and
authority key identifiers and a critical basicConstraints, because Python 3.13
and later verify with ``VERIFY_X509_STRICT`` and reject certificates without
them. The files are for development and tests, not for production clouds.
"""

import datetime
import ipaddress
import logging
import os
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

from ..config import LABEL_PATTERN

logger = logging.getLogger(__name__)

KEY_SIZE = 2048
CA_VALIDITY = datetime.timedelta(days=3650)
LEAF_VALIDITY = datetime.timedelta(days=825)
# Backdating absorbs clock differences between the machines of a cloud.
BACKDATE = datetime.timedelta(minutes=5)

TRUSTSTORE_FILE = "truststore.pem"
CA_KEY_FILE = "ca.key"
AUTH_PRIVATE_KEY_FILE = "auth-private.pem"
AUTH_PUBLIC_KEY_FILE = "auth-public.pem"
SERVER_NAME = "server"
SYSOP_NAME = "sysop"
# The server certificate names a core system, as the reference's core systems
# refuse to start with a certificate that is not <system>.<cloud CN>.
SERVER_SYSTEM_NAME = "serviceregistry"
DEFAULT_SERVER_SANS = ("localhost", "127.0.0.1")

INIT_FILES = (
    TRUSTSTORE_FILE,
    CA_KEY_FILE,
    f"{SERVER_NAME}.pem",
    f"{SERVER_NAME}.key",
    f"{SERVER_NAME}.p12",
    f"{SYSOP_NAME}.pem",
    f"{SYSOP_NAME}.key",
    f"{SYSOP_NAME}.p12",
    AUTH_PRIVATE_KEY_FILE,
    AUTH_PUBLIC_KEY_FILE,
)


class PKIError(RuntimeError):
    """A PKI file is missing, already exists or a name is invalid."""


@dataclass(frozen=True)
class Authority:
    """The cloud CA: its certificate and private key."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey


def generate_key() -> rsa.RSAPrivateKey:
    """Generate an RSA-2048 private key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def system_common_name(system_name: str, cloud_cn: str) -> str:
    """Return ``<system>.<cloud CN>`` after checking the system name.

    :raises PKIError: when the name is not a valid certificate name label.
    """
    if len(system_name) > 63 or not LABEL_PATTERN.match(system_name):
        raise PKIError(
            f"Invalid system name {system_name!r}: use letters, digits and dashes, "
            "starting with a letter and not ending with a dash, at most 63 characters."
        )
    return f"{system_name.lower()}.{cloud_cn}"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _subject_alternative_names(names: tuple[str, ...]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def create_authority(
    cloud_cn: str, *, now: datetime.datetime | None = None
) -> Authority:
    """Create a self-signed cloud CA named ``cloud_cn``."""
    now = now or datetime.datetime.now(datetime.UTC)
    key = generate_key()
    name = _name(cloud_cn)
    public_key = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return Authority(certificate, key)


def issue_certificate(
    authority: Authority,
    common_name: str,
    *,
    key: rsa.RSAPrivateKey | None = None,
    sans: tuple[str, ...] = DEFAULT_SERVER_SANS,
    server_auth: bool = True,
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """Issue a leaf certificate for ``common_name`` signed by ``authority``.

    :param sans: DNS names and IP addresses for the subjectAltName extension.
    :param server_auth: add the serverAuth usage besides clientAuth, for systems
        that also serve HTTPS.
    :param not_before: start of validity; default five minutes ago.
    :param not_after: end of validity; default 825 days after ``not_before``.
    :returns: the certificate and its private key.
    """
    key = key or generate_key()
    start = not_before or datetime.datetime.now(datetime.UTC) - BACKDATE
    end = not_after or start + LEAF_VALIDITY
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH]
    if server_auth:
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)

    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                authority.key.public_key()
            ),
            critical=False,
        )
    )
    if sans:
        builder = builder.add_extension(
            _subject_alternative_names(sans), critical=False
        )
    return builder.sign(authority.key, hashes.SHA256()), key


def certificate_pem(*certificates: x509.Certificate) -> bytes:
    """Return the certificates as one PEM bundle, in the given order."""
    return b"".join(
        certificate.public_bytes(serialization.Encoding.PEM)
        for certificate in certificates
    )


def private_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    """Return ``key`` as an unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def pkcs12_bytes(
    name: str,
    certificate: x509.Certificate,
    key: rsa.RSAPrivateKey,
    authority: x509.Certificate,
    password: str | None,
) -> bytes:
    """Return a PKCS#12 store with the key, certificate and CA certificate.

    :param password: encrypts the store; None or empty leaves it unencrypted.
    """
    encryption: serialization.KeySerializationEncryption
    if password:
        encryption = serialization.BestAvailableEncryption(password.encode())
    else:
        encryption = serialization.NoEncryption()
    return pkcs12.serialize_key_and_certificates(
        name.encode(), key, certificate, [authority], encryption
    )


def _write(path: str, data: bytes, *, private: bool) -> None:
    # Private files are created with mode 0600 so the key is never readable by
    # others, not even for a moment; chmod covers a file that already existed.
    mode = 0o600 if private else 0o644
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as output:
        output.write(data)
    os.chmod(path, mode)


def write_system_files(
    directory: str,
    name: str,
    authority: Authority,
    certificate: x509.Certificate,
    key: rsa.RSAPrivateKey,
    password: str | None,
) -> list[str]:
    """Write ``NAME.pem`` (leaf then CA), ``NAME.key`` and ``NAME.p12``.

    :returns: the paths written.
    """
    pem_path = os.path.join(directory, f"{name}.pem")
    key_path = os.path.join(directory, f"{name}.key")
    p12_path = os.path.join(directory, f"{name}.p12")
    _write(pem_path, certificate_pem(certificate, authority.certificate), private=False)
    _write(key_path, private_key_pem(key), private=True)
    _write(
        p12_path,
        pkcs12_bytes(name, certificate, key, authority.certificate, password),
        private=True,
    )
    return [pem_path, key_path, p12_path]


def init_pki(
    directory: str,
    cloud_cn: str,
    *,
    extra_sans: tuple[str, ...] = (),
    password: str | None = None,
    force: bool = False,
) -> list[str]:
    """Write a new development PKI into ``directory``.

    :param cloud_cn: ``<cloud>.<operator>.arrowhead.eu``, the CA's CN.
    :param extra_sans: host names and addresses for the server certificate
        besides ``localhost`` and ``127.0.0.1``.
    :param password: for the ``.p12`` files; None leaves them unencrypted.
    :param force: replace existing files instead of raising.
    :returns: the paths written.
    :raises PKIError: when one of the files exists and ``force`` is false.
    """
    os.makedirs(directory, exist_ok=True)
    existing = [
        name for name in INIT_FILES if os.path.exists(os.path.join(directory, name))
    ]
    if existing and not force:
        raise PKIError(
            f"{directory} already contains {', '.join(existing)}; "
            "use --force to replace the whole PKI."
        )

    authority = create_authority(cloud_cn)
    written = [
        os.path.join(directory, TRUSTSTORE_FILE),
        os.path.join(directory, CA_KEY_FILE),
    ]
    _write(written[0], certificate_pem(authority.certificate), private=False)
    _write(written[1], private_key_pem(authority.key), private=True)

    server_certificate, server_key = issue_certificate(
        authority,
        system_common_name(SERVER_SYSTEM_NAME, cloud_cn),
        sans=DEFAULT_SERVER_SANS + tuple(extra_sans),
    )
    written += write_system_files(
        directory, SERVER_NAME, authority, server_certificate, server_key, password
    )

    sysop_certificate, sysop_key = issue_certificate(
        authority,
        system_common_name(SYSOP_NAME, cloud_cn),
        sans=(),
        server_auth=False,
    )
    written += write_system_files(
        directory, SYSOP_NAME, authority, sysop_certificate, sysop_key, password
    )

    written += write_auth_key_pair(directory)
    logger.info("Wrote a development PKI for %s to %s", cloud_cn, directory)
    return written


def write_auth_key_pair(directory: str) -> list[str]:
    """Write the Authorization token-signing key pair as PKCS#8 and SPKI PEM.

    :returns: the paths written.
    """
    key = generate_key()
    private_path = os.path.join(directory, AUTH_PRIVATE_KEY_FILE)
    public_path = os.path.join(directory, AUTH_PUBLIC_KEY_FILE)
    _write(private_path, private_key_pem(key), private=True)
    _write(
        public_path,
        key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        ),
        private=False,
    )
    return [private_path, public_path]


def load_authority(directory: str) -> Authority:
    """Read the CA certificate and key written by ``init_pki``.

    :raises PKIError: when either file is missing or unreadable.
    """
    certificate_path = os.path.join(directory, TRUSTSTORE_FILE)
    key_path = os.path.join(directory, CA_KEY_FILE)
    try:
        with open(certificate_path, "rb") as certificate_file:
            certificate = x509.load_pem_x509_certificate(certificate_file.read())
        with open(key_path, "rb") as key_file:
            key = serialization.load_pem_private_key(key_file.read(), password=None)
    except (OSError, ValueError) as error:
        raise PKIError(
            f"Cannot read the CA from {directory}: {error}. "
            "Run 'certs init' for that folder first."
        ) from None

    if not isinstance(key, rsa.RSAPrivateKey):
        raise PKIError(f"{key_path} is not an RSA private key.")
    return Authority(certificate, key)


def issue_system(
    directory: str,
    system_name: str,
    cloud_cn: str,
    *,
    extra_sans: tuple[str, ...] = (),
    password: str | None = None,
    force: bool = False,
) -> list[str]:
    """Issue ``NAME.pem``, ``NAME.key`` and ``NAME.p12`` for a system.

    The certificate is for client and server use, with SAN ``localhost`` and
    ``127.0.0.1`` plus ``extra_sans``, so the system can also serve HTTPS.

    :returns: the paths written.
    :raises PKIError: when the name is invalid, the CA is missing, or the files
        exist and ``force`` is false.
    """
    common_name = system_common_name(system_name, cloud_cn)
    name = system_name.lower()
    if name == SERVER_NAME:
        raise PKIError(
            "server.pem is the server certificate of 'certs init'; "
            "choose another system name."
        )

    existing = [
        path
        for path in (f"{name}.pem", f"{name}.key", f"{name}.p12")
        if os.path.exists(os.path.join(directory, path))
    ]
    if existing and not force:
        raise PKIError(
            f"{directory} already contains {', '.join(existing)}; "
            "use --force to replace them."
        )

    authority = load_authority(directory)
    certificate, key = issue_certificate(
        authority, common_name, sans=DEFAULT_SERVER_SANS + tuple(extra_sans)
    )
    written = write_system_files(directory, name, authority, certificate, key, password)
    logger.info("Issued %s in %s", common_name, directory)
    return written
