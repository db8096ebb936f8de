"""Errors of handoff delivery."""

from __future__ import annotations


class DeliveryFailed(Exception):
    """A handoff could not be delivered this time (the task retries it).

    ``status`` is the HTTP status the receiver answered, if any; ``body`` what
    it said (kept in the handoff's message log).
    """

    def __init__(self, message: str, *, status: int | None = None, body: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.body = body
