"""HTTP endpoints under /serviceregistry."""

from flask import Blueprint

from ..security.access import ANY_SYSTEM
from ..security.access import allow

bp = Blueprint("registry", __name__, url_prefix="/serviceregistry")


@bp.get("/echo")
@allow(ANY_SYSTEM)
def echo():
    """Return the reference's liveness text."""
    return "Got it!", 200, {"Content-Type": "text/plain; charset=utf-8"}
