"""Command-line options shared by the driver scripts.

The drivers run in the separate client virtualenv with the unmodified
``arrowhead-client`` library; they import nothing from arrowhead_lite.
"""

import argparse
import os


def parser(description: str) -> argparse.ArgumentParser:
    """Return a parser with the options every driver takes."""
    result = argparse.ArgumentParser(description=description)
    result.add_argument("--name", required=True, help="system name")
    result.add_argument("--port", type=int, required=True, help="system port")
    result.add_argument("--address", default="127.0.0.1")
    result.add_argument("--server-port", type=int, required=True)
    result.add_argument("--service", default="hello-arrowhead")
    result.add_argument("--method", default="GET")
    result.add_argument(
        "--certs",
        default="",
        help="folder with NAME.pem, NAME.key and truststore.pem; omit for plain HTTP",
    )
    return result


def core_config(server_port: int) -> dict:
    """Point the three core systems at the one arrowhead-lite port."""
    return {
        name: {"system_name": name, "address": "127.0.0.1", "port": server_port}
        for name in ("service_registry", "orchestrator", "authorization")
    }


def client_files(certs: str, name: str) -> dict:
    """Return the keyfile, certfile and cafile arguments of ``Client.create``."""
    if not certs:
        return {}
    return {
        "keyfile": os.path.join(certs, f"{name}.key"),
        "certfile": os.path.join(certs, f"{name}.pem"),
        "cafile": os.path.join(certs, "truststore.pem"),
    }
