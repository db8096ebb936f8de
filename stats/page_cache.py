"""Whole statistics pages cached under the figures' version.

A page is rendered once for a key (who may see it, what was asked, the
language, today, the figures' version) and served from the cache until the
figures change: the cost of a cached page is the request's own (session,
user) plus one cache read, whatever the number of dossiers.

What differs per visitor in a rendered page is the CSRF token of its forms
(sign-out, language switch): the page is rendered with a placeholder, and
each response gets the visitor's own token (``get_token``, which also sets
their CSRF cookie, as rendering would). A page is not cached while a message
waits for the visitor (it shows once) or for an unusually long address. A
cached page must not carry the request's Content-Security-Policy nonce
(``request.csp_nonce``): it would be another request's; these pages use none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from stats import figures

# Where the CSRF token goes in a cached page (replaced per response).
CSRF_PLACEHOLDER = "csrf-token-placeholder-3f9c1e"
# Longer addresses are rendered each time (not cached): they are not links of
# the pages, and each would be one more cache entry.
MAX_CACHED_PATH = 300


# Indentation after a line break: rendered as one space either way.
_INDENT = re.compile(r"\n\s+")


def compact(html: str) -> str:
    """``html`` without the templates' indentation (a seventh of a dashboard),
    unless it holds text whose spaces count."""
    if "<pre" in html or "<textarea" in html:
        return html
    return _INDENT.sub("\n", html)


def cacheable(request: HttpRequest) -> bool:
    return len(request.get_full_path()) <= MAX_CACHED_PATH and not len(get_messages(request))


def cached_page(
    request: HttpRequest,
    name: str,
    parts: Iterable[str],
    render: Callable[[str | None], HttpResponse],
) -> HttpResponse:
    """``render(csrf_token)``'s page, cached (in this process and in Redis)
    under ``parts`` and the full path. ``render(None)`` is the uncached page,
    for a visitor with a message waiting."""
    if not cacheable(request):
        return render(None)
    key = [*parts, request.get_full_path()]

    def page() -> tuple[int, str]:
        response = render(CSRF_PLACEHOLDER)
        return response.status_code, compact(response.content.decode())

    status, html = figures.cached(name, key, page, local=True)
    return HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)), status=status)
