"""Technical errors in plain words, for the failures page (docs/failures.md).

The background jobs record the exception as ``"<ExceptionClass>: <text>"``
(e.g. ``"ConnectionRefusedError: [Errno 111] Connection refused"``, or a
``DeliveryFailed`` of the civil-status registry). An operator needs to know
what to do, not the class: ``plain_error`` maps the raw text to a short
sentence (translated; the raw text stays available on the row's detail).
The first pattern that matches wins; order matters (specific first).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _

_HTTP = re.compile(r"\bHTTP (\d{3})\b")
_CLASS = re.compile(
    r"^\s*(?:(?:email|sms):\s*)?([A-Za-z_][\w.]*(?:Error|Exception|Failed|Timeout))\b"
)


def _http(raw: str) -> str | None:
    match = _HTTP.search(raw)
    if not match:
        return None
    status = int(match.group(1))
    if status in (401, 403):
        return _("The receiving system refused our credentials (HTTP %(status)s).") % {
            "status": status
        }
    if status >= 500:
        return _("The receiving system had an internal error (HTTP %(status)s).") % {
            "status": status
        }
    return _("The receiving system refused the request (HTTP %(status)s).") % {"status": status}


def _contains(*needles: str) -> Callable[[str], bool]:
    lowered = tuple(n.lower() for n in needles)
    return lambda raw: any(n in raw.lower() for n in lowered)


# (test, sentence): the sentence is a callable so it is translated when shown.
_RULES: list[tuple[Callable[[str], bool], Callable[[], str]]] = [
    (
        _contains("not configured", "EGOV_SMS_URL is not set", "has no host", "must be https"),
        lambda: _("The connection to this system is not configured (see the settings)."),
    ),
    (
        _contains("email:", "SMTP"),
        lambda: _("The email could not be sent (the mail server refused it or is unreachable)."),
    ),
    (
        _contains("sms:", "SmsError"),
        lambda: _("The SMS could not be sent (the SMS gateway refused it or is unreachable)."),
    ),
    (
        _contains("timeout", "timed out", "did not answer within"),
        lambda: _("The receiving system did not answer in time."),
    ),
    (
        _contains(
            "ConnectionRefused",
            "could not be reached",
            "unreachable",
            "ConnectionError",
            "Name or service not known",
            "NameResolution",
            "URLError",
        ),
        lambda: _("The receiving system could not be reached (connection refused or no network)."),
    ),
    (
        _contains("not JSON", "has no reference"),
        lambda: _("The receiving system's answer could not be understood."),
    ),
    (
        _contains("offers no procedure", "No active agency receives", "names no receiving handler"),
        lambda: _("No agency here can receive this work: check the agencies and their procedures."),
    ),
    (
        _contains("weasyprint", "TemplateDoesNotExist", "TemplateSyntaxError", "font"),
        lambda: _("The PDF could not be produced (its template or fonts)."),
    ),
    (
        _contains("PermissionError", "No space left", "Read-only file system"),
        lambda: _("The file could not be stored (disk full or no permission)."),
    ),
    (
        _contains("OperationalError", "could not connect to server", "deadlock"),
        lambda: _("The database was not available for a moment."),
    ),
]


def plain_error(raw: str) -> str:
    """A short sentence for an error text (empty for an empty text)."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    # A notice's error has one line per channel: say each.
    lines = [line for line in raw.splitlines() if line.strip()]
    if len(lines) > 1:
        return " ".join(dict.fromkeys(plain_error(line) for line in lines))
    for test, sentence in _RULES:
        if test(raw):
            return sentence()
    http = _http(raw)
    if http:
        return http
    match = _CLASS.match(raw)
    if match:
        return _("An unexpected error (%(kind)s): see the technical details.") % {
            "kind": match.group(1)
        }
    return _("An unexpected error: see the technical details.")


# A population import's error (``manage.py import_population``, recorded on
# ``citizens.PopulationImport``): about the file, or the exception's class.
_IMPORT_RULES: list[tuple[Callable[[str], bool], Callable[[], str]]] = [
    (
        _contains("No such file", "FileNotFoundError"),
        lambda: _("The file was not found on the server: check its name and folder."),
    ),
    (
        _contains("not UTF-8"),
        lambda: _("The file is not UTF-8 text: save it as “CSV UTF-8” and import it again."),
    ),
    (
        _contains("The file is empty"),
        lambda: _("The file is empty."),
    ),
    (
        _contains("Unknown column", "Required column", "named twice"),
        lambda: _(
            "The file's header row is not the expected one (a column missing, unknown or "
            "named twice): see the technical details and manage.py import_population --help."
        ),
    ),
    (
        _contains("Unreadable CSV"),
        lambda: _("The file is not a readable CSV file (see the line in the technical details)."),
    ),
    (
        _contains("PermissionError", "Permission denied", "No space left", "Read-only file system"),
        lambda: _(
            "The file could not be read, or its rejects file written (no permission or disk full)."
        ),
    ),
    (
        _contains("given with --actor"),
        lambda: _("The account given with --actor does not exist."),
    ),
    (
        _contains("KeyboardInterrupt", "SystemExit"),
        lambda: _("The import was stopped before it finished; nothing was loaded."),
    ),
]


def plain_import_error(raw: str) -> str:
    """A population import's error in a short sentence; nothing was loaded."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    for test, sentence in _IMPORT_RULES:
        if test(raw):
            return sentence()
    return plain_error(raw)
