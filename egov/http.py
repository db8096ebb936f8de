"""Small helpers about the HTTP request, shared by every app."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address, behind ``ALLAUTH_TRUSTED_PROXY_COUNT`` proxies."""
    return str(get_adapter(request).get_client_ip(request))
