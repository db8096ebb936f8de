"""A local stand-in for a national identity provider (OpenID Connect), on 127.0.0.1.

It serves discovery, token and userinfo endpoints over real HTTP, so allauth's
client code runs unchanged. The claims it asserts are set by the test.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeIdentityProvider:
    def __init__(self, claims: dict):
        self.claims = claims
        self.token_requests: list[str] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _json(self, body: dict, status: int = 200):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path.startswith("/.well-known/openid-configuration"):
                    base = provider.url
                    return self._json(
                        {
                            "issuer": base,
                            "authorization_endpoint": base + "/authorize",
                            "token_endpoint": base + "/token",
                            "userinfo_endpoint": base + "/userinfo",
                            "token_endpoint_auth_methods_supported": ["client_secret_post"],
                        }
                    )
                if self.path.startswith("/userinfo"):
                    if self.headers.get("Authorization") != "Bearer access-token-1":
                        return self._json({"error": "invalid_token"}, 401)
                    return self._json(provider.claims)
                return self._json({"error": "not_found"}, 404)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                if self.path.startswith("/token"):
                    provider.token_requests.append(body)
                    return self._json({"access_token": "access-token-1", "token_type": "Bearer"})
                return self._json({"error": "not_found"}, 404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
