"""Finding a dossier's likely duplicates before its effects happen.

A procedure handler says what two dossiers of the same request share
(``duplicate_key``: for a birth, the mother and the date of birth) and judges
the candidates (``duplicates``): records of the population database and the
other dossiers with the same key that still stand (drafts and refused,
rejected or withdrawn dossiers excepted). The one-stop engine asks

- when a dossier is sent (``check_at_submission``): a certain duplicate (the
  child is registered already) is refused with the record named;
- on the dossier page, for the clerk and the head (``matches_of``), side by side;
- when the head approves (``check_at_approval``), under an advisory lock on
  the key, so two approvals of the same birth run one after the other and the
  second sees the first one's record: a certain duplicate is refused, a likely
  one needs the head's explicit decision with a reason, recorded in the
  approval's event. A dossier sent later than this one does not hold up its
  approval (the first of two same requests goes on; the later one is then
  refused as a certain duplicate of the record it registered).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from egov.codes import ErrorCode
from egov.errors import ConflictError, ValidationFailed
from onecounter.handler_view import DossierRef
from onecounter.models import Dossier, DossierStatus
from procedures.handlers import registry

if TYPE_CHECKING:
    from procedures.handlers.registry import DuplicateMatch, ProcedureHandler

# The dossiers another one can duplicate: sent, and not refused, rejected or withdrawn.
NOT_CANDIDATES = (
    DossierStatus.DRAFT,
    DossierStatus.REFUSED,
    DossierStatus.REJECTED,
    DossierStatus.WITHDRAWN,
)
NOT_DUPLICATE = "not_duplicate"
MAX_CANDIDATES = 20


class DuplicateFound(ConflictError):
    code = ErrorCode.DUPLICATE
    default_message = _("This request is a duplicate of one registered already.")


def _handler(dossier: Dossier) -> ProcedureHandler | None:
    try:
        return registry.get(dossier.procedure.handler)
    except LookupError:
        return None


def key_of(dossier: Dossier) -> str:
    """The handler's duplicate key of the dossier's answers ("" when not checked)."""
    handler = _handler(dossier)
    if handler is None:
        return ""
    return (handler.duplicate_key(dossier.procedure, dossier.data or {}) or "")[:120]


def candidates(dossier: Dossier, key: str) -> list[Dossier]:
    """The other dossiers of the same procedure kind with this key that still stand."""
    if not key:
        return []
    return list(
        Dossier.objects.filter(duplicate_key=key, procedure__handler=dossier.procedure.handler)
        .exclude(pk=dossier.pk)
        .exclude(status__in=NOT_CANDIDATES)
        .select_related("agency", "applicant", "subject_person")
        .order_by("submitted_at")[:MAX_CANDIDATES]
    )


def matches_of(dossier: Dossier, *, key: str | None = None) -> list[DuplicateMatch]:
    """The records and dossiers that may be the same request as this dossier."""
    handler = _handler(dossier)
    if handler is None:
        return []
    key = key_of(dossier) if key is None else key
    others = [DossierRef(other) for other in candidates(dossier, key)]
    return list(handler.duplicates(dossier.procedure, DossierRef(dossier), others) or [])


def _refusal(match: DuplicateMatch, *, public: bool) -> dict[str, Any]:
    message = str(match.public_message or match.message) if public else str(match.message)
    return {"message": message, "kind": match.kind, **({} if public else match.as_data())}


def check_at_submission(dossier: Dossier) -> str:
    """Refuse a dossier that certainly repeats a registered one (400
    ``duplicate``, naming it); returns the key to store on the dossier.
    Likely duplicates are let through, to be shown to the clerk."""
    key = key_of(dossier)
    certain = [m for m in matches_of(dossier, key=key) if m.certain]
    if certain:
        message = certain[0].public_message or certain[0].message
        raise ValidationFailed(
            message,
            code=ErrorCode.DUPLICATE,
            data={"duplicates": [_refusal(m, public=True) for m in certain]},
        )
    return key


def lock_key(key: str) -> None:
    """Serialise the approvals of dossiers with this key until the transaction
    ends (a PostgreSQL advisory lock; other databases run one writer anyway)."""
    if key and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"duplicate:{key}"])


def check_at_approval(dossier: Dossier, *, decision: str = "", reason: str = "") -> list[dict]:
    """Before an approval's effects: lock the key, then refuse a certain
    duplicate (409 ``duplicate``) and a likely one without the head's decision
    ``not_duplicate`` and a reason (409 ``duplicate_decision_required``).
    Returns what the approval's event records of the matches it decided on."""
    key = dossier.duplicate_key or key_of(dossier)
    lock_key(key)
    matches = [m for m in matches_of(dossier, key=key) if not m.later]
    certain = [m for m in matches if m.certain]
    if certain:
        raise DuplicateFound(
            certain[0].message,
            data={"duplicates": [_refusal(m, public=False) for m in certain]},
        )
    if not matches:
        return []
    if decision != NOT_DUPLICATE or not reason.strip():
        raise ConflictError(
            _(
                "This dossier may be a duplicate: compare it with the record or dossier "
                "shown, then confirm that it is not a duplicate and say why, or reject it."
            ),
            code=ErrorCode.DUPLICATE_DECISION_REQUIRED,
            data={"duplicates": [m.as_data() for m in matches]},
        )
    return [m.as_data() for m in matches]
