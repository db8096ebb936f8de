"""Delivery channels: how a handoff reaches its receiver. Plugins in one
registry (``egov.registry.Registry``, the class the procedure handlers'
registry uses too), each module of this package registering its channel when
imported; a second channel under a taken name is an error at start-up.

A handoff names its channel (``Handoff.channel``, from the handler's
``HandoffSpec.channel``). ``interconnect.services.handoff_deliver`` locks the
row, checks it is pending and due, and calls the channel's ``deliver`` in a
savepoint: the channel fills in the message log entry and what the delivery
sets on the handoff, or raises (``DeliveryFailed``) and the attempt is
recorded and retried.

    internal         an agency of this deployment: a dossier in its queue (internal.py)
    civil_registry   the Ministry of Justice's civil-status registry: a signed POST
                     and its signed callback (civil_registry.py)

An ``awaited`` channel's receiver decides in a dossier of this deployment: the
originating dossier's results wait until every such handoff is finished.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from egov.registry import Registry

if TYPE_CHECKING:
    from interconnect.models import Handoff, HandoffMessage


class Channel:
    """One way of delivering handoffs."""

    name = ""
    # The originating dossier's results wait for the receiver's decision.
    awaited = False

    def deliver(self, handoff: Handoff, message: HandoffMessage, now: dt.datetime) -> None:
        """Deliver the handoff (under its row lock, in a savepoint). Fill in
        ``message`` (``response_status``, ``response``) and what delivery sets on
        the handoff (``agency``, ``agency_dossier``, ``due_date``,
        ``external_reference``); raise when it could not be delivered."""
        raise NotImplementedError


channels: Registry[Channel] = Registry("delivery channel", discover="interconnect.channels")
register = channels.register_class


def get(name: str) -> Channel:
    return channels.get(name)


def awaited() -> list[str]:
    """The names of the channels whose receivers' decisions are waited for."""
    return [channel.name for channel in channels if channel.awaited]


def canonical_json(data: Any) -> bytes:
    """How a handoff's data is written to be hashed, signed and logged: keys
    sorted, no insignificant whitespace, UTF-8 (not \\u escapes)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )
