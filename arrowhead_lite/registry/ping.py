"""Bounded, concurrent TCP reachability checks for ``pingProviders``."""

import logging
import socket
from concurrent.futures import ThreadPoolExecutor

logger = logging.getLogger(__name__)


def _accepts_connection(target: tuple[str, int], timeout_seconds: float) -> bool:
    address, port = target
    try:
        with socket.create_connection((address, port), timeout=timeout_seconds):
            return True
    except OSError:
        return False


def reachable_targets(
    targets: set[tuple[str, int]], timeout_ms: int, max_workers: int
) -> set[tuple[str, int]]:
    """Return the ``(address, port)`` pairs that accept a TCP connection.

    At most ``max_workers`` connections are attempted at once, each given
    ``timeout_ms`` milliseconds, so the call takes at most about
    ``ceil(len(targets) / max_workers) * timeout_ms`` milliseconds.
    """
    if not targets:
        return set()

    ordered = sorted(targets)
    timeout_seconds = timeout_ms / 1000
    workers = min(max_workers, len(ordered))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ping") as pool:
        results = pool.map(
            lambda target: _accepts_connection(target, timeout_seconds), ordered
        )
        reachable = {target for target, ok in zip(ordered, results, strict=True) if ok}

    logger.debug("Pinged %d providers, %d reachable", len(ordered), len(reachable))
    return reachable
