"""A stand-in for the Ministry of Justice's civil-status registry: a real HTTP
server on 127.0.0.1 (a thread of the test process) that checks each request's
signature like the real registry would, records what it received, and answers
as a test tells it to: accept (200 with a reference, the same one again for
the same Idempotency-Key), fail (500), answer too late, or say nonsense.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from interconnect.channels import civil_registry as registry_client


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    answered: int = 0

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))


@dataclass
class FakeRegistry:
    secret: str
    # What to answer: "ok", "error" (500), "slow" (sleep ``delay`` then ok),
    # "not_json" (200 text/plain). ``script`` is used first, one per request.
    mode: str = "ok"
    delay: float = 3.0
    script: deque = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        registry = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):  # noqa: A002 - keep test output quiet
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                registry._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1/births"

    def start(self) -> FakeRegistry:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer_next(self, *modes: str) -> None:
        with self._lock:
            self.script.extend(modes)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"the registry received {len(self.received)} requests, not {count}")

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        headers = dict(request.headers.items())
        ok = registry_client.verify(
            body,
            request.headers.get("X-Egov-Timestamp", ""),
            request.headers.get("X-Egov-Signature", ""),
            self.secret,
        )
        entry = Received(path=request.path, headers=headers, body=body, signature_ok=ok)
        with self._lock:
            self.received.append(entry)
            mode = self.script.popleft() if self.script else self.mode
        if not ok:
            return self._send(request, entry, 401, {"code": "bad_signature"})
        if mode == "error":
            return self._send(request, entry, 500, {"code": "internal_error"})
        if mode == "not_json":
            return self._send(request, entry, 200, b"<html>maintenance</html>", "text/html")
        if mode == "slow":
            time.sleep(self.delay)
        key = request.headers.get("Idempotency-Key", "")
        with self._lock:
            reference = self.references.setdefault(key, f"MOJ-{len(self.references) + 1:06d}")
        return self._send(request, entry, 200, {"reference": reference, "received": True})

    def _send(self, request, entry, status, payload, content_type="application/json") -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        entry.answered = status
        try:
            request.send_response(status)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            pass
