"""The gunicorn configuration module built from the ARROWHEAD_* settings."""

import importlib
import ssl
import sys

import pytest

from arrowhead_lite.config import ConfigError

MODULE = "arrowhead_lite.gunicorn_conf"


@pytest.fixture
def load_conf(monkeypatch):
    """Import the module afresh with the given environment variables."""

    def load(**environment):
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        sys.modules.pop(MODULE, None)
        return importlib.import_module(MODULE)

    yield load
    sys.modules.pop(MODULE, None)


def test_direct_mode_tls_settings(load_conf, pki_dir):
    conf = load_conf(ARROWHEAD_TLS_MODE="direct", ARROWHEAD_CERTS_DIR=str(pki_dir))
    assert conf.cert_reqs == ssl.CERT_REQUIRED
    assert conf.certfile == str(pki_dir / "server.pem")
    assert conf.keyfile == str(pki_dir / "server.key")
    assert conf.ca_certs == str(pki_dir / "truststore.pem")


def test_worker_settings(load_conf, pki_dir):
    conf = load_conf(
        ARROWHEAD_CERTS_DIR=str(pki_dir),
        ARROWHEAD_BIND="127.0.0.1:9443",
        ARROWHEAD_WORKERS="3",
        ARROWHEAD_THREADS="5",
    )
    assert conf.bind == ["127.0.0.1:9443"]
    assert conf.workers == 3
    assert conf.threads == 5
    assert conf.worker_class == "gthread"
    assert conf.preload_app is False
    assert conf.accesslog == "-"
    assert conf.errorlog == "-"


def test_default_bind(load_conf, pki_dir):
    conf = load_conf(ARROWHEAD_CERTS_DIR=str(pki_dir))
    assert conf.bind == ["0.0.0.0:8443"]


@pytest.mark.parametrize("mode", ["proxy", "off"])
def test_plain_http_modes(load_conf, pki_dir, mode):
    conf = load_conf(ARROWHEAD_TLS_MODE=mode, ARROWHEAD_CERTS_DIR=str(pki_dir))
    for name in ("certfile", "keyfile", "ca_certs", "cert_reqs"):
        assert not hasattr(conf, name), name


def test_proxy_forwarded_allow_ips(load_conf, pki_dir):
    conf = load_conf(
        ARROWHEAD_TLS_MODE="proxy",
        ARROWHEAD_CERTS_DIR=str(pki_dir),
        ARROWHEAD_TRUSTED_PROXIES="10.0.0.2, 10.0.1.0/24",
    )
    assert conf.forwarded_allow_ips == "10.0.0.2,10.0.1.0/24"


def test_unix_socket_mode_0660(load_conf, pki_dir):
    conf = load_conf(ARROWHEAD_TLS_MODE="off", ARROWHEAD_CERTS_DIR=str(pki_dir))
    assert conf.umask == 0o117


@pytest.mark.parametrize("mode", ["direct", "proxy"])
def test_missing_certificates_stop_start_up(load_conf, tmp_path, mode):
    with pytest.raises(ConfigError, match="certs init"):
        load_conf(ARROWHEAD_TLS_MODE=mode, ARROWHEAD_CERTS_DIR=str(tmp_path))


def test_off_mode_needs_no_certificates(load_conf, tmp_path):
    conf = load_conf(ARROWHEAD_TLS_MODE="off", ARROWHEAD_CERTS_DIR=str(tmp_path))
    assert conf.tls_mode == "off"


def test_invalid_setting_stops_start_up(load_conf, pki_dir):
    with pytest.raises(ConfigError, match="ARROWHEAD_BIND"):
        load_conf(ARROWHEAD_CERTS_DIR=str(pki_dir), ARROWHEAD_BIND="nowhere")


def _factory(pki_dir, calls):
    def build():
        calls.append(1)
        context = ssl.create_default_context(
            ssl.Purpose.CLIENT_AUTH, cafile=str(pki_dir / "truststore.pem")
        )
        context.load_cert_chain(pki_dir / "server.pem", pki_dir / "server.key")
        context.verify_mode = ssl.CERT_OPTIONAL
        return context

    return build


def test_ssl_context_cached(load_conf, pki_dir):
    conf = load_conf(ARROWHEAD_CERTS_DIR=str(pki_dir))
    calls = []
    first = conf.ssl_context(None, _factory(pki_dir, calls))
    second = conf.ssl_context(None, _factory(pki_dir, calls))
    assert first is second
    assert len(calls) == 1


def test_ssl_context_requires_certificate(load_conf, pki_dir):
    conf = load_conf(ARROWHEAD_CERTS_DIR=str(pki_dir))
    context = conf.ssl_context(None, _factory(pki_dir, []))
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2


def test_post_fork_rebuilds_context(load_conf, pki_dir):
    conf = load_conf(ARROWHEAD_CERTS_DIR=str(pki_dir))
    calls = []
    first = conf.ssl_context(None, _factory(pki_dir, calls))
    conf.post_fork(None, None)
    second = conf.ssl_context(None, _factory(pki_dir, calls))
    assert first is not second
    assert len(calls) == 2
