"""Every page of the citizen journey, the back office, the public pages and
the API documentation works under the strict Content-Security-Policy in
Chromium: no violation reported in the console, no script error.

The policy (settings CONTENT_SECURITY_POLICY) allows scripts, styles,
images and fonts from the portal only, no inline script or style, no
framing. Chromium writes each blocked resource or inline element to the
console ("Refused to ... because it violates the following Content Security
Policy directive ..."); the test collects those, and the page errors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser.test_birth_journey import (  # noqa: F401 (fixtures)
    DESKTOP,
    PHONE,
    _clean_cache,
    new_context,
    sign_in_staff,
    world,
)
from tests.browser.test_my_record import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC = [
    "portal:home",
    "procedures:list",
    ("procedures:detail", "1.001193"),
    "tracking:track",
    "questions:list",
    ("questions:procedure", "1.001193"),
    "feedback:home",
    "feedback:new",
    "account_login",
    "account_signup",
    "stats:public",
]
CITIZEN = [
    "me:home",
    "me:record",
    "mine:dossiers",
    "mine:documents",
    "tracking:notices",
    "questions:mine",
    "feedback:mine",
    ("filing:start", "1.001193"),
    "mfa_index",
]
STAFF = [
    "backoffice:home",
    ("backoffice:agency", "UBLB"),
    ("dossiers:queue", "UBLB"),
    "questions:queue",
    "feedback:queue",
    "stats:dashboard",
    "stats:index766",
    "failures:list",
    "retention:index",
    "mfa_index",
]
ADMIN = [
    "handoffs:list",
    "failures:list",
    "admin:index",
    "admin:citizens_agency_changelist",
]


def _url(item) -> str:
    name, *args = (item,) if isinstance(item, str) else item
    return reverse(name, args=args)


def watch(page, found: list[str]) -> None:
    def on_console(message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            found.append(f"{page.url}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.append(f"{page.url}: script error {error}"))


def visit(page, paths: list[str], found: list[str]) -> None:
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status < 400, (path, response and response.status)
        assert "frame-ancestors 'none'" in response.headers.get("content-security-policy", "")
        page.wait_for_load_state("load")


def test_the_pages_work_under_the_content_security_policy(
    browser,
    live_server,
    world,  # noqa: F811 (the fixture imported above)
):
    found: list[str] = []
    contexts = []
    try:
        anonymous = new_context(browser, live_server, PHONE)
        contexts.append(anonymous)
        page = anonymous.new_page()
        watch(page, found)
        visit(page, [_url(p) for p in PUBLIC], found)
        page.goto(reverse("api-docs"))
        page.locator(".swagger-ui .info").first.wait_for()  # the UI started: its script ran

        citizen = new_context(browser, live_server, PHONE)
        contexts.append(citizen)
        page = citizen.new_page()
        watch(page, found)
        sign_in(page, world["parent"].email)
        visit(page, [_url(p) for p in CITIZEN], found)

        page = sign_in_staff(browser, live_server, world, ("UBLB", "head"), contexts)
        watch(page, found)
        visit(page, [_url(p) for p in STAFF], found)

        page = sign_in_staff(browser, live_server, world, "admin", contexts)
        watch(page, found)
        visit(page, [_url(p) for p in ADMIN], found)
    finally:
        for context in contexts:
            context.close()
    assert not found, "\n".join(found)
