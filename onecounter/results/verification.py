"""Results anyone can verify: each result document's identity and its public
view (their revocation and replacement are ``onecounter.results.services``).

When a result is first issued (``onecounter.results.rendering``),
``document_mark_issued`` gives it, once and for good:

- ``verify_token``: ``secrets.token_urlsafe(32)`` (256 random bits), printed as
  a QR code of ``<EGOV_PUBLIC_BASE_URL>/verify/<token>``;
- ``number``: ``<n>/<year>/<suffix>``, numbered per issuing agency, year and
  series (the result's ``ResultSpec.number_suffix``, e.g. ``12/2026/TLKS`` for
  a birth certificate extract), the next one after the highest given (unique,
  not necessarily gap-free);
- ``issued_by``: the agency that decided it; ``holder``: whom it is about;
- ``created_at``: the moment of issue (the date printed on it).

These are written in the same transaction as the stored PDF, so a rendering
that fails leaves nothing behind, and nothing changes them afterwards:
rendering the PDF again (``services.document_rerender``) keeps the token, the
number and the date of issue.

The public sees (``public_view``) only the kind (the spec's ``label``, in the
reader's language), the number, the date, the issuing agency, the holder's
initials and year of birth, and whether the document was revoked or replaced.
Each view is logged (``DocumentVerification``, with a keyed hash of the client
address, never the address itself). Revoking and replacing are for the head of
the issuing agency and site administrators (``may_manage``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import IntegerField, Max, Value
from django.db.models.functions import Cast, Left, StrIndex
from django.urls import reverse
from django.utils import timezone

from citizens.models import Agency, Person, Role, User
from citizens.permissions import roles_in
from onecounter.models import DocumentVerification, DossierDocument
from onecounter.results.specs import spec_of_document

Kind = DossierDocument.Kind
Outcome = DocumentVerification.Outcome

TOKEN_BYTES = 32
# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")

# --- Identity of a result ----------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def verify_path(token: str) -> str:
    return reverse("verify:page", args=[token])


def verify_url(token: str) -> str:
    """The absolute address printed on the document and encoded in its QR code."""
    return settings.EGOV_PUBLIC_BASE_URL.rstrip("/") + verify_path(token)


def _lock(key: str) -> None:
    """Serialise the numbering of one series until the transaction ends (a
    PostgreSQL advisory lock; SQLite runs one writer at a time anyway)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def next_number(agency: Agency, suffix: str, year: int) -> str:
    """The next number of the agency's series ``suffix`` (a kind of result) and year."""
    tail = f"/{year}/{suffix}"
    _lock(f"document-number:{agency.pk}{tail}")
    highest = (
        DossierDocument.objects.filter(issued_by=agency, number__endswith=tail)
        .annotate(
            serial=Cast(
                Left("number", StrIndex("number", Value("/")) - 1), output_field=IntegerField()
            )
        )
        .aggregate(highest=Max("serial"))["highest"]
    )
    return f"{(highest or 0) + 1}{tail}"


def document_mark_issued(
    document: DossierDocument, *, issuer: Agency, holder: Person | None, suffix: str
) -> DossierDocument:
    """Give a result its token, number (in the series ``suffix``), issuer,
    holder and date of issue, once. Called under the document's row lock, in
    the transaction that stores its PDF."""
    if document.verify_token:
        return document
    now = timezone.now()
    document.verify_token = new_token()
    document.issued_by = issuer
    document.holder = holder
    document.created_at = now
    document.number = next_number(issuer, suffix, timezone.localdate(now).year)
    document.save(update_fields=["verify_token", "issued_by", "holder", "created_at", "number"])
    return document


def issued_on(document: DossierDocument) -> dt.date:
    return timezone.localdate(document.created_at)


# --- What the public sees ------------------------------------------------------------------


def initials(full_name: str) -> str:
    """ "Nguyễn Văn An" → "N. V. A." (the first letter of each word)."""
    return " ".join(f"{word[0].upper()}." for word in full_name.split() if word)


@dataclass(frozen=True)
class PublicDocument:
    """All that the public may see of a result document."""

    kind: str
    kind_label: str
    title: str
    number: str
    issued_on: dt.date
    issuing_agency: str
    holder_initials: str
    holder_birth_year: int | None
    status: str
    revoked_on: dt.date | None
    revoked_reason: str
    replaced_by_number: str
    replaced_by_issued_on: dt.date | None


def status_of(document: DossierDocument) -> str:
    if document.revoked_at is not None:
        return Outcome.REVOKED
    if document.replaced_by_id is not None:
        return Outcome.REPLACED
    return Outcome.VALID


def find_document(token: str) -> DossierDocument | None:
    """The issued result with this token, else None. A malformed token runs the
    same single query as a well-formed unknown one (same answer, same time)."""
    candidate = token if TOKEN_RE.match(token or "") else "-"
    return (
        DossierDocument.objects.filter(verify_token=candidate, kind=Kind.RESULT)
        .exclude(file="")
        .select_related("issued_by", "holder", "replaced_by", "dossier__procedure")
        .first()
    )


def public_view(document: DossierDocument) -> PublicDocument:
    holder = document.holder
    replacement = document.replaced_by
    spec = spec_of_document(document)
    return PublicDocument(
        kind=spec.name,
        kind_label=str(spec.label),
        title=document.title,
        number=document.number,
        issued_on=issued_on(document),
        issuing_agency=document.issued_by.display_name if document.issued_by else "",
        holder_initials=initials(holder.full_name) if holder else "",
        holder_birth_year=holder.birth_date.year if holder else None,
        status=status_of(document),
        revoked_on=timezone.localdate(document.revoked_at) if document.revoked_at else None,
        revoked_reason=document.revoked_reason if document.revoked_at else "",
        replaced_by_number=replacement.number if replacement else "",
        replaced_by_issued_on=issued_on(replacement) if replacement else None,
    )


def client_hash(address: str) -> str:
    """A keyed hash of the client address: repeated checks from one address can
    be told apart from many, without storing the address."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"verify:{address}".encode(), hashlib.sha256).hexdigest()


def verification_log(
    document: DossierDocument, *, address: str, user_agent: str = ""
) -> DocumentVerification:
    return DocumentVerification.objects.create(
        document=document,
        outcome=status_of(document),
        client_hash=client_hash(address) if address else "",
        user_agent=(user_agent or "")[:200],
    )


# --- Throttle -------------------------------------------------------------------------------
# Like public tracking: unknown codes are counted per client address, and past
# EGOV_VERIFY_MAX_FAILURES in EGOV_VERIFY_WINDOW_SECONDS every check answers 429;
# so do more than EGOV_VERIFY_MAX_LOOKUPS checks of any kind in the window.


def limits() -> tuple[int, int, int]:
    return (
        int(getattr(settings, "EGOV_VERIFY_MAX_FAILURES", 10)),
        int(getattr(settings, "EGOV_VERIFY_MAX_LOOKUPS", 300)),
        int(getattr(settings, "EGOV_VERIFY_WINDOW_SECONDS", 15 * 60)),
    )


def _keys(address: str) -> tuple[str, str]:
    digest = client_hash(address)[:32]
    return f"verify:fail:{digest}", f"verify:seen:{digest}"


def is_throttled(address: str) -> bool:
    max_failures, max_lookups, _window = limits()
    failures, lookups = _keys(address)
    counts = cache.get_many([failures, lookups])
    return int(counts.get(failures, 0)) >= max_failures or int(counts.get(lookups, 0)) >= (
        max_lookups
    )


def _count(key: str, window: int) -> None:
    if cache.add(key, 1, timeout=window):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)


def record_lookup(address: str, *, found: bool) -> None:
    _max_failures, _max_lookups, window = limits()
    failures, lookups = _keys(address)
    _count(lookups, window)
    if not found:
        _count(failures, window)


# --- Who may revoke or replace -------------------------------------------------------------


def may_manage(user: User, document: DossierDocument) -> bool:
    """The head of the issuing agency, or a site administrator."""
    if not user.is_authenticated or document.issued_by_id is None:
        return False
    if user.is_superuser:
        return True
    return Role.HEAD in roles_in(user, document.issued_by)
