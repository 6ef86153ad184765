"""Per-endpoint access rules: who may call a view.

In ``ARROWHEAD_TLS_MODE=off`` every rule passes, as in the reference's insecure
mode. In the secure modes the caller's certificate must belong to this cloud and
at least one of the view's rules must accept it. Any other request gets 401.
"""

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import request

from ..errors import Unauthorized
from .identity import Identity
from .identity import current_identity

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rule:
    """An access rule: a predicate on the caller and a description for docs."""

    description: str
    check: Callable[[Identity], bool]

    def __call__(self, identity: Identity) -> bool:
        return self.check(identity)


ANY_SYSTEM = Rule("any system of this cloud", lambda identity: True)
SYSOP = Rule("sysop", lambda identity: identity.is_sysop)


def core(*names: str) -> Rule:
    """Allow the named core systems, for example ``core("orchestrator")``."""
    allowed = frozenset(name.lower() for name in names)
    return Rule(
        "core systems: " + ", ".join(sorted(allowed)),
        lambda identity: identity.is_core and identity.system_name in allowed,
    )


def own_system(extract: Callable[[], object], description: str) -> Rule:
    """Allow a caller whose certificate names the system the request acts for.

    :param extract: returns the system name from the request, or None when the
        request does not carry one; validation then rejects the request.
    """

    def check(identity: Identity) -> bool:
        name = extract()
        if not isinstance(name, str):
            return True
        return name.strip().lower() == identity.system_name

    return Rule(f"the system named in {description}", check)


def query_arg(name: str) -> Callable[[], object]:
    """Return an extractor for a query parameter."""
    return lambda: request.args.get(name)


def body_field(*path: str) -> Callable[[], object]:
    """Return an extractor for a nested field of the JSON body."""

    def extract() -> object:
        # silent=True covers invalid JSON (ValueError) but not nesting deeper
        # than the recursion limit, which the view then rejects with 400.
        try:
            value = request.get_json(silent=True)
        except RecursionError:
            return None
        for key in path:
            if not isinstance(value, dict):
                return None
            value = value.get(key)
        return value

    return extract


def allow(*rules: Rule) -> Callable:
    """Let a view run only for callers that one of ``rules`` accepts."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            identity = current_identity()
            if identity is not None and not any(rule(identity) for rule in rules):
                logger.warning(
                    "Denied %s %s to %s",
                    request.method,
                    request.path,
                    identity.common_name,
                )
                raise Unauthorized(
                    f"{identity.common_name} is unauthorized to access {request.path}."
                )
            return view(*args, **kwargs)

        wrapper.access_rules = rules
        return wrapper

    return decorator


def public(view: Callable) -> Callable:
    """Mark a view that needs no certificate, such as the API document."""
    view.access_rules = ()
    view.is_public = True
    return view


def require_system(name: str, *, allow_sysop: bool = False) -> None:
    """Check in a view that the caller is the system named ``name``.

    :raises Unauthorized: in a secure mode when the certificate names another system.
    """
    identity = current_identity()
    if identity is None:
        return
    if allow_sysop and identity.is_sysop:
        return
    if name.strip().lower() != identity.system_name:
        raise Unauthorized(
            f"System name ({name}) and certificate common name "
            f"({identity.common_name}) do not match!"
        )
