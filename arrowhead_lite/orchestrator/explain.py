"""Explain an orchestration: every candidate the registry considered and why it was
kept or dropped."""

from ..registry.query import Candidate
from .services import Outcome


def explain(outcome: Outcome) -> dict:
    """Return the explanation document of an orchestration outcome.

    Tokens are not part of it; a kept ``TOKEN`` candidate had one issued.
    """
    requester = outcome.requester
    return {
        "mode": outcome.mode,
        "requester": {
            "id": requester.id,
            "systemName": requester.system_name,
            "address": requester.address,
            "port": requester.port,
        },
        "serviceDefinition": outcome.service_definition,
        "resultCount": len(outcome.results),
        "candidates": [describe(candidate) for candidate in outcome.candidates],
    }


def describe(candidate: Candidate) -> dict:
    """Return one candidate: its entry, provider, interfaces and verdict."""
    entry = candidate.entry
    provider = entry.provider
    return {
        "serviceRegistryId": entry.id,
        "serviceDefinition": entry.service_definition.service_definition,
        "provider": {
            "id": provider.id,
            "systemName": provider.system_name,
            "address": provider.address,
            "port": provider.port,
        },
        "serviceUri": entry.service_uri,
        "secure": entry.secure,
        "version": entry.version,
        "interfaces": [interface.interface_name for interface in candidate.interfaces],
        "kept": candidate.kept,
        "reason": candidate.reason,
    }
