"""gunicorn settings from the ARROWHEAD_* configuration.

Use it as ``gunicorn -c python:arrowhead_lite.gunicorn_conf wsgi:app``. The
settings are read as the app reads them (code defaults, then
``instance/config.py``, then the environment) and validated the same way.

In ``direct`` mode gunicorn terminates TLS and requires a client certificate
issued by ``truststore.pem``. In ``proxy`` and ``off`` mode gunicorn speaks
plain HTTP; in ``proxy`` mode bind it to a Unix socket that only nginx can
open, or to a loopback address.
"""

import os
import ssl
import threading

from arrowhead_lite import config as arrowhead_config


def _required_files(settings: dict) -> list[str]:
    directory = arrowhead_config.certs_dir(settings)
    names = {
        "direct": ("server.pem", "server.key", "truststore.pem"),
        "proxy": ("truststore.pem",),
        "off": (),
    }[settings["ARROWHEAD_TLS_MODE"]]
    return [os.path.join(directory, name) for name in names]


# The master process reads the settings without building the app, so no
# database connection is open across the fork.
settings = arrowhead_config.load_settings()
tls_mode = settings["ARROWHEAD_TLS_MODE"]

missing = [path for path in _required_files(settings) if not os.path.exists(path)]
if missing:
    raise arrowhead_config.ConfigError(
        f"ARROWHEAD_TLS_MODE={tls_mode} needs {', '.join(missing)}; create a "
        "development PKI with 'flask --app arrowhead_lite certs init --dir "
        f"{settings['ARROWHEAD_CERTS_DIR']}' or point ARROWHEAD_CERTS_DIR at yours"
    )

bind = [settings["ARROWHEAD_BIND"]]
workers = settings["ARROWHEAD_WORKERS"]
threads = settings["ARROWHEAD_THREADS"]
# gthread keeps connections alive, so a TLS client pays one handshake per
# connection instead of one per request as with the sync worker.
worker_class = "gthread"
# Each worker builds its own app and database engine after the fork.
preload_app = False
proc_name = "arrowhead-lite"
# gunicorn 27 opens a control socket at one path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn), which several instances on one host would share; signals
# (HUP, TERM) do the same job.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = settings["ARROWHEAD_LOG_LEVEL"].lower()

# A Unix socket is created with mode 0660: only its owner and group (the
# nginx user's group) may connect, because in proxy mode every Unix-socket
# peer is trusted to forward client certificates.
umask = 0o117

# X-Forwarded-Proto and similar headers are honoured only from trusted proxies;
# Unix-socket peers are always trusted by gunicorn.
forwarded_allow_ips = ",".join(settings["ARROWHEAD_TRUSTED_PROXIES"])

if tls_mode == "direct":
    certs_dir = arrowhead_config.certs_dir(settings)
    certfile = os.path.join(certs_dir, "server.pem")
    keyfile = os.path.join(certs_dir, "server.key")
    ca_certs = os.path.join(certs_dir, "truststore.pem")
    # The constant, not True: gunicorn takes True as 1, which is CERT_OPTIONAL
    # and lets clients without a certificate through.
    cert_reqs = ssl.CERT_REQUIRED

_context: ssl.SSLContext | None = None
_context_lock = threading.Lock()


def ssl_context(conf, default_ssl_context_factory) -> ssl.SSLContext:
    """Return the worker's TLS context, built once instead of per connection.

    gunicorn's sync and gthread workers otherwise build a new context, reading
    the certificate files, for every accepted connection. The cache is cleared
    in every new worker, so a reload (SIGHUP) picks up renewed files.
    """
    global _context
    with _context_lock:
        if _context is None:
            context = default_ssl_context_factory()
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.verify_mode = ssl.CERT_REQUIRED
            _context = context
        return _context


def clear_ssl_context() -> None:
    """Drop the cached TLS context, so the next connection reads the files."""
    global _context
    with _context_lock:
        _context = None


def post_fork(server, worker) -> None:
    """Start every worker with an empty TLS context cache."""
    clear_ssl_context()


def on_starting(server) -> None:
    """Log the TLS mode once, in the master process."""
    if tls_mode == "off":
        server.log.warning(
            "ARROWHEAD_TLS_MODE=off: plain HTTP with no client identities, no "
            "access control and no tokens; use it for development only"
        )
    else:
        server.log.info(
            "ARROWHEAD_TLS_MODE=%s on %s for cloud %s",
            tls_mode,
            settings["ARROWHEAD_BIND"],
            settings["SERVER_CLOUD_CN"],
        )
