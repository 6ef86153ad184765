"""GET /health: the liveness response of the Go arrowhead-lite dialect."""

import time

from flask import Blueprint
from flask import Flask

from .security.access import public

bp = Blueprint("health", __name__)


@bp.get("/health")
@public
def health():
    """Return the liveness status. Public, and reads no database."""
    return {
        "status": "healthy",
        "service": "arrowhead-lite",
        "timestamp": int(time.time()),
    }


def init_app(app: Flask) -> None:
    """Register the /health route."""
    app.register_blueprint(bp)
