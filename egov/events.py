"""An explicit listener registry: how a lower layer announces what happened
to the parts above it without importing them.

The one-stop core (``onecounter``) announces its events (``onecounter.events``);
interconnection, the wallet, notifications and statistics listen. Each app
registers its listeners in its ``AppConfig.ready()``::

    events.listen(StepTaken, handoffs.on_step_taken)

``publish`` calls the listeners of the event's type in the order they were
registered, in the caller's transaction, and returns what they returned (a
listener that has nothing to say returns None, which is left out). A listener
that raises stops the announcement: the caller's transaction rolls back, as if
the step had raised itself. A listener never calls back into the step that
announced it: what it wants done to that dossier next it returns, and the
announcer does it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

E = TypeVar("E")

_listeners: defaultdict[type, list[Callable[[Any], Any]]] = defaultdict(list)


def listen(event_type: type[E], listener: Callable[[E], Any]) -> None:
    """Register ``listener`` for events of ``event_type`` (once: registering
    the same function again does nothing)."""
    if listener not in _listeners[event_type]:
        _listeners[event_type].append(listener)


def unlisten(event_type: type[E], listener: Callable[[E], Any]) -> None:
    if listener in _listeners[event_type]:
        _listeners[event_type].remove(listener)


def listeners(event_type: type) -> list[Callable[[Any], Any]]:
    return list(_listeners[event_type])


def publish(event: object) -> list[Any]:
    results = []
    for listener in list(_listeners[type(event)]):
        result = listener(event)
        if result is not None:
            results.append(result)
    return results
