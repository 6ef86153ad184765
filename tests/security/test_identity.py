"""Who is calling, in each TLS mode, with genuine and forged certificate headers."""

import logging
import socket
from urllib.parse import quote

import pytest

from arrowhead_lite.config import ConfigError
from arrowhead_lite.security.identity import current_identity
from tests import helpers

ECHO = "/serviceregistry/echo"
PROXY = "10.0.0.2"


def forwarded(pem_path, verify: str = "SUCCESS") -> dict:
    """Return the headers nginx sends: the escaped leaf PEM and the result."""
    with open(pem_path) as pem:
        text = pem.read()
    leaf = text[: text.index("-----END CERTIFICATE-----") + 25] + "\n"
    return {"X-SSL-Client-Cert": quote(leaf, safe=""), "X-SSL-Client-Verify": verify}


@pytest.fixture
def proxy_app(make_app, pki_dir):
    return make_app(
        ARROWHEAD_TLS_MODE="proxy",
        ARROWHEAD_CERTS_DIR=str(pki_dir),
        ARROWHEAD_TRUSTED_PROXIES=[PROXY, "fd00::/64"],
    )


@pytest.fixture
def proxy_client(proxy_app):
    return proxy_app.test_client()


def identity_for(app, headers=None, environ=None):
    """Return the identity resolved for one request, or the error it raised."""
    with app.test_request_context(
        ECHO, headers=headers or {}, environ_base=environ or {}
    ):
        try:
            return current_identity()
        except Exception as error:  # noqa: BLE001 - the tests inspect the error
            return error


def test_proxy_trusted_peer_with_success(proxy_client, pki_dir):
    response = proxy_client.get(
        ECHO,
        headers=forwarded(pki_dir / "consumer.pem"),
        environ_overrides={"REMOTE_ADDR": PROXY},
    )
    assert response.status_code == 200


def test_proxy_identity_fields(proxy_app, pki_dir):
    identity = identity_for(
        proxy_app, forwarded(pki_dir / "sysop.pem"), {"REMOTE_ADDR": PROXY}
    )
    assert identity.common_name == f"sysop.{helpers.CLOUD_CN}"
    assert identity.system_name == "sysop"
    assert identity.is_sysop
    assert not identity.is_core


def test_proxy_core_system_identity(proxy_app, pki_dir):
    identity = identity_for(
        proxy_app, forwarded(pki_dir / "server.pem"), {"REMOTE_ADDR": PROXY}
    )
    assert identity.system_name == "serviceregistry"
    assert identity.is_core


def test_proxy_untrusted_peer_ignored(proxy_client, pki_dir):
    response = proxy_client.get(
        ECHO,
        headers=forwarded(pki_dir / "sysop.pem"),
        environ_overrides={"REMOTE_ADDR": "10.0.0.3"},
    )
    assert response.status_code == 401
    assert response.json["exceptionType"] == "AUTH"


def test_proxy_untrusted_peer_logged(proxy_client, pki_dir, caplog):
    with caplog.at_level(logging.WARNING, "arrowhead_lite.security.identity"):
        proxy_client.get(
            ECHO,
            headers=forwarded(pki_dir / "sysop.pem"),
            environ_overrides={"REMOTE_ADDR": "10.0.0.3"},
        )
    assert "untrusted peer '10.0.0.3'" in caplog.text


def test_proxy_loopback_not_trusted_by_default(make_app, pki_dir):
    app = make_app(ARROWHEAD_TLS_MODE="proxy", ARROWHEAD_CERTS_DIR=str(pki_dir))
    response = app.test_client().get(
        ECHO,
        headers=forwarded(pki_dir / "sysop.pem"),
        environ_overrides={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.status_code == 401


def test_proxy_trusted_network(proxy_client, pki_dir):
    response = proxy_client.get(
        ECHO,
        headers=forwarded(pki_dir / "consumer.pem"),
        environ_overrides={"REMOTE_ADDR": "fd00::17"},
    )
    assert response.status_code == 200


def test_proxy_ipv4_mapped_peer(proxy_client, pki_dir):
    response = proxy_client.get(
        ECHO,
        headers=forwarded(pki_dir / "consumer.pem"),
        environ_overrides={"REMOTE_ADDR": f"::ffff:{PROXY}"},
    )
    assert response.status_code == 200


def test_proxy_unix_socket_peer_trusted(proxy_client, pki_dir):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix:
        response = proxy_client.get(
            ECHO,
            headers=forwarded(pki_dir / "consumer.pem"),
            environ_overrides={"REMOTE_ADDR": "", "gunicorn.socket": unix},
        )
    assert response.status_code == 200


def test_proxy_unix_socket_forged_certificate(proxy_client, foreign_pki_dir):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix:
        response = proxy_client.get(
            ECHO,
            headers=forwarded(foreign_pki_dir / "sysop.pem"),
            environ_overrides={"REMOTE_ADDR": "", "gunicorn.socket": unix},
        )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "verify", ["FAILED:certificate has expired", "NONE", "success", "SUCCESS "]
)
def test_proxy_verification_not_success(proxy_client, pki_dir, verify):
    response = proxy_client.get(
        ECHO,
        headers=forwarded(pki_dir / "consumer.pem", verify),
        environ_overrides={"REMOTE_ADDR": PROXY},
    )
    assert response.status_code == 401


def test_proxy_missing_verify_header(proxy_client, pki_dir):
    headers = forwarded(pki_dir / "consumer.pem")
    del headers["X-SSL-Client-Verify"]
    response = proxy_client.get(
        ECHO, headers=headers, environ_overrides={"REMOTE_ADDR": PROXY}
    )
    assert response.status_code == 401


def test_proxy_other_ca_rejected(proxy_client, foreign_pki_dir):
    response = proxy_client.get(
        ECHO,
        headers=forwarded(foreign_pki_dir / "sysop.pem"),
        environ_overrides={"REMOTE_ADDR": PROXY},
    )
    assert response.status_code == 401


def test_proxy_expired_certificate_rejected(proxy_client, expired_certificate):
    pem, _ = expired_certificate
    response = proxy_client.get(
        ECHO, headers=forwarded(pem), environ_overrides={"REMOTE_ADDR": PROXY}
    )
    assert response.status_code == 401


def test_proxy_self_signed_same_name_rejected(proxy_client, tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    der = helpers.certificate_der(f"sysop.{helpers.CLOUD_CN}")
    pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
    path = tmp_path / "forged.pem"
    path.write_bytes(pem)
    response = proxy_client.get(
        ECHO, headers=forwarded(path), environ_overrides={"REMOTE_ADDR": PROXY}
    )
    assert response.status_code == 401


@pytest.mark.parametrize("value", ["garbage", "%2D%2D%2D%2D%2D", "", "A" * 20000])
def test_proxy_malformed_certificate_header(proxy_client, value):
    response = proxy_client.get(
        ECHO,
        headers={"X-SSL-Client-Cert": value, "X-SSL-Client-Verify": "SUCCESS"},
        environ_overrides={"REMOTE_ADDR": PROXY},
    )
    assert response.status_code == 401
    assert response.is_json


def test_proxy_other_cloud_rejected(make_app, pki_dir):
    app = make_app(
        ARROWHEAD_TLS_MODE="proxy",
        ARROWHEAD_CERTS_DIR=str(pki_dir),
        ARROWHEAD_TRUSTED_PROXIES=[PROXY],
        ARROWHEAD_CLOUD_NAME="othercloud",
    )
    response = app.test_client().get(
        ECHO,
        headers=forwarded(pki_dir / "consumer.pem"),
        environ_overrides={"REMOTE_ADDR": PROXY},
    )
    assert response.status_code == 401


def test_proxy_ignores_socket_certificate(proxy_client):
    response = proxy_client.get(
        ECHO,
        environ_overrides={"REMOTE_ADDR": PROXY, **helpers.caller("consumer")},
    )
    assert response.status_code == 401


def test_proxy_missing_truststore_rejects_all(make_app, tmp_path, pki_dir, caplog):
    with caplog.at_level(logging.ERROR, "arrowhead_lite.security.identity"):
        app = make_app(
            ARROWHEAD_TLS_MODE="proxy",
            ARROWHEAD_CERTS_DIR=str(tmp_path / "empty"),
            ARROWHEAD_TRUSTED_PROXIES=[PROXY],
        )
    response = app.test_client().get(
        ECHO,
        headers=forwarded(pki_dir / "consumer.pem"),
        environ_overrides={"REMOTE_ADDR": PROXY},
    )
    assert "truststore.pem is missing" in caplog.text
    assert response.status_code == 401


def test_invalid_trusted_proxy_stops_start_up(make_app):
    with pytest.raises(ConfigError, match="ARROWHEAD_TRUSTED_PROXIES"):
        make_app(ARROWHEAD_TRUSTED_PROXIES=["nginx.local"])


def test_direct_ignores_forwarded_headers(secure_client, pki_dir):
    response = secure_client.get(
        ECHO,
        headers=forwarded(pki_dir / "sysop.pem"),
        environ_overrides={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.status_code == 401


def test_direct_reads_connection_certificate(secure_app, pki_dir):
    identity = identity_for(
        secure_app,
        forwarded(pki_dir / "sysop.pem"),
        helpers.caller("consumer"),
    )
    assert identity.system_name == "consumer"


class UnverifiedConnection(helpers.PeerConnection):
    """A TLS socket whose peer certificate the TLS layer did not validate."""

    def getpeercert(self, binary_form: bool = False):
        return self.der if binary_form else {}


def test_direct_rejects_unverified_certificate(secure_client):
    der = helpers.certificate_der(f"sysop.{helpers.CLOUD_CN}")
    response = secure_client.get(
        ECHO, environ_overrides={"gunicorn.socket": UnverifiedConnection(der)}
    )
    assert response.status_code == 401


def test_direct_plain_socket_rejected(secure_client):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as plain:
        response = secure_client.get(ECHO, environ_overrides={"gunicorn.socket": plain})
    assert response.status_code == 401


def test_off_ignores_headers(app, pki_dir):
    identity = identity_for(
        app, forwarded(pki_dir / "sysop.pem"), {"REMOTE_ADDR": PROXY}
    )
    assert identity is None


def test_off_start_up_warning(make_app, caplog):
    with caplog.at_level(logging.WARNING, "arrowhead_lite.security.identity"):
        make_app()
    assert "ARROWHEAD_TLS_MODE=off" in caplog.text
    assert "insecure" in caplog.text


@pytest.mark.parametrize(
    "common_name",
    [
        "consumer.arrowhead.eu",
        f"consumer.extra.{helpers.CLOUD_CN}",
        "consumer.testcloud.aitia.arrowhead.org",
        f"consumer.othercloud.{helpers.CLOUD_OPERATOR}.arrowhead.eu",
    ],
)
def test_common_name_rules(secure_client, common_name):
    response = secure_client.get(ECHO, environ_overrides=helpers.caller(common_name))
    assert response.status_code == 401


def test_common_name_case_insensitive(secure_app):
    identity = identity_for(
        secure_app, environ=helpers.caller("SysOp.TestCloud.AITIA.Arrowhead.EU")
    )
    assert identity.system_name == "sysop"
    assert identity.is_sysop
