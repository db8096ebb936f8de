"""The Content-Security-Policy header and its report endpoint."""

import json
import logging

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in header.split(";")
        if part.strip()
    }


def test_every_page_carries_a_strict_policy(client):
    directives = policy(client.get(reverse("portal:home")))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["style-src"] == "'self'"
    assert directives["report-uri"] == "/csp-report/"


def test_only_the_standalone_500_page_allows_its_inline_styles(rf):
    from egov.views import server_error

    request = rf.get("/")
    response = server_error(request)
    assert getattr(response, "_csp_update", {}) == {"style-src": ["'unsafe-inline'"]}


def test_a_report_is_logged_without_the_query_string(client, caplog):
    report = {
        "csp-report": {
            "document-uri": "https://dichvucong.example.vn/track/?code=UBLB-260304-0001&digits=1234",
            "violated-directive": "script-src-elem",
            "effective-directive": "script-src-elem",
            "blocked-uri": "inline",
        }
    }
    with caplog.at_level(logging.WARNING, logger="egov.csp"):
        response = client.post(
            reverse("csp-report"), json.dumps(report), content_type="application/csp-report"
        )
    assert response.status_code == 204
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "script-src-elem" in logged and "https://dichvucong.example.vn/track/" in logged
    assert "UBLB-260304-0001" not in logged and "1234" not in logged


def test_an_oversized_or_broken_report_is_dropped_quietly(client, caplog):
    with caplog.at_level(logging.WARNING, logger="egov.csp"):
        big = client.post(reverse("csp-report"), "x" * 20_000, content_type="application/json")
        broken = client.post(reverse("csp-report"), "{not json", content_type="application/json")
    assert big.status_code == broken.status_code == 204
    assert not [r for r in caplog.records if r.name == "egov.csp"]
    assert client.get(reverse("csp-report")).status_code == 405
