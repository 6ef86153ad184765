"""A temperature sensor that provides the ``temperature`` service over mutual TLS.

It serves ``GET /temperature`` over HTTPS, requires a client certificate from
the cloud's truststore and accepts only requests with a valid Arrowhead token
for the ``temperature`` service, checked with
``arrowhead_lite.security.tokens.token_required``. At start-up it reads the
Authorization public key from ``GET /authorization/publickey``.

    python examples/temperature_provider.py --name sensor-1 --port 9101 \\
        --certs certs --server https://127.0.0.1:8443 --celsius 21.5

NOTE: the Werkzeug server completes TLS handshakes one at a time in its accept
loop, so a client that connects and sends nothing stalls it. Serve a real
provider with gunicorn.
"""

import argparse
import json
import logging
import os
import ssl
import sys
import urllib.request

from flask import Flask
from flask import g
from werkzeug.serving import make_server

from arrowhead_lite.security import keys
from arrowhead_lite.security import tokens

SERVICE = "temperature"
INTERFACE = "HTTP-SECURE-JSON"

logger = logging.getLogger("temperature_provider")


def client_context(certs: str, name: str) -> ssl.SSLContext:
    """Return a TLS client context that presents system ``name``'s certificate."""
    context = ssl.create_default_context(cafile=os.path.join(certs, "truststore.pem"))
    context.load_cert_chain(
        os.path.join(certs, f"{name}.pem"), os.path.join(certs, f"{name}.key")
    )
    return context


def server_context(certs: str, name: str) -> ssl.SSLContext:
    """Return a TLS server context that requires a client certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(os.path.join(certs, "truststore.pem"))
    context.load_cert_chain(
        os.path.join(certs, f"{name}.pem"), os.path.join(certs, f"{name}.key")
    )
    return context


def fetch_authorization_key(server: str, context: ssl.SSLContext) -> str:
    """Return the body of ``GET /authorization/publickey`` (a JSON string)."""
    url = f"{server.rstrip('/')}/authorization/publickey"
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        return json.loads(response.read())


def create_provider(name: str, celsius: float, certs: str, server: str) -> Flask:
    """Return the sensor's Flask app with token verification configured."""
    app = Flask(name)
    authorization_key = fetch_authorization_key(server, client_context(certs, name))
    tokens.configure_token_verification(
        app,
        keys.load_private_key_file(os.path.join(certs, f"{name}.key")),
        keys.public_key_from_base64(authorization_key),
    )

    @app.get("/temperature")
    @tokens.token_required(SERVICE, INTERFACE)
    def temperature():
        consumer = g.arrowhead_token_claims["cid"]
        logger.info("%s read the temperature of %s", consumer, name)
        return {"sensor": name, "celsius": celsius, "consumer": consumer}

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", required=True, help="system name, such as sensor-1")
    parser.add_argument("--port", type=int, required=True, help="HTTPS port")
    parser.add_argument("--host", default="127.0.0.1", help="listen address")
    parser.add_argument("--celsius", type=float, default=21.0, help="the reading")
    parser.add_argument(
        "--certs", default="certs", help="folder with NAME.pem, NAME.key, truststore"
    )
    parser.add_argument(
        "--server", default="https://127.0.0.1:8443", help="arrowhead-lite URL"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    app = create_provider(args.name, args.celsius, args.certs, args.server)
    server = make_server(
        args.host,
        args.port,
        app,
        threaded=True,
        ssl_context=server_context(args.certs, args.name),
    )
    logger.info("%s serves https://%s:%d/temperature", args.name, args.host, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
