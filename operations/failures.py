"""Reads of the failures page: every background job that failed or is late,
as one normalised list (see docs/failures.md).

A failure is the state of the row that failed, read where it is:

    kind      rows                                                   failing when
    event     onecounter.DossierEvent (the outbox of a step's        unprocessed, and an error recorded
              slips, results and notice)                             or older than EGOV_FAILURE_LATE_MINUTES
    document  onecounter.DossierDocument (a PDF)                     no file and an error recorded
    notice    onecounter.Notification (email and SMS)                a channel unsent, and an error
                                                                     recorded or older than the late limit
    payment   onecounter.Payment                                     pending past the provider's expiry
    handoff   interconnect.Handoff (to an agency here)               failed; pending with a failed attempt
                                                                     or older than the late limit; open
                                                                     past its due date
    registry  interconnect.Handoff, channel civil_registry           the same (a post to the registry)
    import    citizens.PopulationImport (a run of                    failed; done with rejected rows;
              ``manage.py import_population``)                       running after EGOV_IMPORT_LATE_HOURS

Who sees what: an administrator (superuser) every row; the head of an agency
the rows of that agency's dossiers (a handoff: the sending dossier's), and no
import (an import is no agency's); nobody else (``may_view_failures``). A row an operator marked handled
(``FailureResolution``, active) leaves the open list for the handled one.

Queries: one per kind (each with its joins and subqueries), plus one for the
resolutions of the handled view: never one per row.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import (
    CharField,
    Count,
    Exists,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Left
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from citizens.models import Agency, PopulationImport, Role, User
from citizens.permissions import agencies_with_roles
from interconnect import selectors as handoff_selectors
from interconnect.models import Handoff, HandoffMessage
from onecounter.models import DossierDocument, DossierEvent, Notification, Payment
from onecounter.notifications.services import MAX_ATTEMPTS as NOTICE_MAX_ATTEMPTS
from onecounter.tasks import MAX_SWEEP_ATTEMPTS
from operations.models import FailureKind, FailureResolution
from operations.plain import plain_error, plain_import_error

K = FailureKind
H = Handoff.Status
REGISTRY_CHANNEL = "civil_registry"
# At most this many rows of each kind are listed (the newest); the counts are exact.
LIST_LIMIT = 500
STATES = ("failed", "retrying", "late")
EVENT_KEY = re.compile(r"^event-(\d+)$")


def late_after() -> dt.timedelta:
    return dt.timedelta(minutes=int(settings.EGOV_FAILURE_LATE_MINUTES))


def import_late_after() -> dt.timedelta:
    """A population import still running after this probably died (killed, host restarted)."""
    return dt.timedelta(hours=float(settings.EGOV_IMPORT_LATE_HOURS))


def payment_expiry() -> dt.timedelta:
    """How long a provider lets a payment wait (VNPAY: ``VNPAY_EXPIRE_MINUTES``)."""
    return dt.timedelta(minutes=int(getattr(settings, "VNPAY_EXPIRE_MINUTES", 15)))


# --- Who may see what -----------------------------------------------------------------------


def operator_agencies(user: User) -> list[Agency]:
    if not user.is_authenticated:
        return []
    return agencies_with_roles(user, [Role.HEAD])


def may_view_failures(user: Any) -> bool:
    """Administrators (superusers) and agency heads (no query)."""
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_superuser or operator_agencies(user))
    )


@dataclass(frozen=True)
class Scope:
    """What a viewer may see: everything, or the dossiers of some agencies."""

    everything: bool
    agency_ids: tuple[Any, ...] = ()

    @property
    def cache_key(self) -> str:
        if self.everything:
            return "all"
        return ".".join(str(pk) for pk in sorted(self.agency_ids, key=str))

    def dossiers(self, qs: QuerySet, path: str = "dossier") -> QuerySet:
        if self.everything:
            return qs
        return qs.filter(**{f"{path}__agency_id__in": self.agency_ids})


def scope_for(user: User) -> Scope | None:
    """None when the user may see no failure at all."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Scope(everything=True)
    agencies = operator_agencies(user)
    if not agencies:
        return None
    return Scope(everything=False, agency_ids=tuple(a.pk for a in agencies))


EVERYTHING = Scope(everything=True)


# --- The rows ----------------------------------------------------------------------------------


@dataclass
class FailureRow:
    kind: str
    object_id: str
    since: dt.datetime
    tries: int | None
    error: str
    raw_error: str
    state: str  # failed (gave up) · retrying (an error, tries left) · late (no error, waiting)
    dossier_id: Any = None
    dossier_code: str = ""
    agency_name: str = ""
    details: dict[str, str] = field(default_factory=dict)
    can_retry: bool = False
    can_resend: bool = False
    handoff_id: Any = None
    resolution: FailureResolution | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.object_id}"

    @property
    def kind_label(self) -> str:
        return str(K(self.kind).label)


def _resolved(kind: str) -> Exists:
    return Exists(
        FailureResolution.objects.filter(
            kind=kind, active=True, object_key=Cast(OuterRef("pk"), output_field=CharField())
        )
    )


def _waiting(since: dt.datetime, now: dt.datetime) -> str:
    minutes = max(int((now - since).total_seconds() // 60), 0)
    return _(
        "Not done after %(minutes)s minutes and no error recorded: is the background worker running?"
    ) % {"minutes": minutes}


# --- One spec per kind ------------------------------------------------------------------------


class Spec:
    kind: str
    model: Any

    def base(self, now: dt.datetime) -> QuerySet:
        """A narrow first filter (an index where there is one)."""
        raise NotImplementedError

    def failing(self, now: dt.datetime) -> Q:
        raise NotImplementedError

    def listing(self, qs: QuerySet) -> QuerySet:
        return qs

    def since_field(self) -> str:
        return "created_at"

    def row(self, obj: Any, now: dt.datetime) -> FailureRow:
        raise NotImplementedError

    def visible(self, scope: Scope, now: dt.datetime) -> QuerySet:
        return scope.dossiers(self.base(now))


class EventSpec(Spec):
    kind = K.EVENT
    model = DossierEvent

    def base(self, now):
        return DossierEvent.objects.filter(processed_at__isnull=True)

    def failing(self, now):
        return (Q(attempts__gt=0) & ~Q(last_error="")) | Q(at__lt=now - late_after())

    def since_field(self):
        return "at"

    def listing(self, qs):
        return qs.select_related("dossier__agency")

    def row(self, event, now):
        if event.attempts >= MAX_SWEEP_ATTEMPTS:
            state = "failed"
        elif event.last_error:
            state = "retrying"
        else:
            state = "late"
        return FailureRow(
            kind=self.kind,
            object_id=str(event.pk),
            since=event.at,
            tries=event.attempts,
            error=plain_error(event.last_error) or _waiting(event.at, now),
            raw_error=event.last_error,
            state=state,
            dossier_id=event.dossier_id,
            dossier_code=event.dossier.code or "",
            agency_name=event.dossier.agency.display_name,
            details={"step": event.action},
            can_retry=True,
        )


class DocumentSpec(Spec):
    kind = K.DOCUMENT
    model = DossierDocument

    def base(self, now):
        return DossierDocument.objects.filter(file="").exclude(error="")

    def failing(self, now):
        return Q(file="") & ~Q(error="")

    def listing(self, qs):
        return qs.select_related("dossier__agency")

    def row(self, document, now):
        return FailureRow(
            kind=self.kind,
            object_id=str(document.pk),
            since=document.created_at,
            tries=None,
            error=plain_error(document.error),
            raw_error=document.error,
            state="retrying",
            dossier_id=document.dossier_id,
            dossier_code=document.dossier.code or "",
            agency_name=document.dossier.agency.display_name,
            details={"document": document.title, "key": document.key},
            can_retry=True,
        )


def _channel_state(address: str, sent_at, error: str, channel: str) -> str:
    if not address:
        return "none"
    if sent_at is not None:
        return "sent"
    if f"{channel}:" in error:
        return "failed"
    return "pending"


class NoticeSpec(Spec):
    kind = K.NOTICE
    model = Notification

    def base(self, now):
        return Notification.objects.filter(
            Q(email__gt="", email_sent_at__isnull=True) | Q(phone__gt="", sms_sent_at__isnull=True)
        )

    def failing(self, now):
        return ~Q(last_error="") | Q(created_at__lt=now - late_after())

    def listing(self, qs):
        return qs.select_related("dossier__agency")

    def row(self, notice, now):
        if notice.attempts >= NOTICE_MAX_ATTEMPTS:
            state = "failed"
        elif notice.last_error:
            state = "retrying"
        else:
            state = "late"
        dossier = notice.dossier
        return FailureRow(
            kind=self.kind,
            object_id=str(notice.pk),
            since=notice.created_at,
            tries=notice.attempts,
            error=plain_error(notice.last_error) or _waiting(notice.created_at, now),
            raw_error=notice.last_error,
            state=state,
            dossier_id=notice.dossier_id,
            dossier_code=(dossier.code or "") if dossier else "",
            agency_name=dossier.agency.display_name if dossier else "",
            details={
                "subject": notice.subject,
                "email": _channel_state(
                    notice.email, notice.email_sent_at, notice.last_error, "email"
                ),
                "sms": _channel_state(notice.phone, notice.sms_sent_at, notice.last_error, "sms"),
            },
            can_resend=True,
        )


class PaymentSpec(Spec):
    kind = K.PAYMENT
    model = Payment

    def base(self, now):
        return Payment.objects.filter(status=Payment.Status.PENDING)

    def failing(self, now):
        return Q(created_at__lt=now - payment_expiry())

    def listing(self, qs):
        return qs.select_related("dossier__agency").annotate(callback_count=Count("callbacks"))

    def row(self, payment, now):
        minutes = int(payment_expiry().total_seconds() // 60)
        return FailureRow(
            kind=self.kind,
            object_id=str(payment.pk),
            since=payment.created_at,
            tries=payment.callback_count,
            error=_(
                "No answer from the payment provider within %(minutes)s minutes: check the "
                "payment %(reference)s with the provider, then mark it handled."
            )
            % {"minutes": minutes, "reference": payment.reference},
            raw_error=(
                f"payment {payment.reference} ({payment.provider}, {payment.amount} "
                f"{payment.currency}) pending since {payment.created_at.isoformat()}; "
                f"{payment.callback_count} callback(s) received"
            ),
            state="late",
            dossier_id=payment.dossier_id,
            dossier_code=payment.dossier.code or "",
            agency_name=payment.dossier.agency.display_name,
            details={"provider": payment.provider, "reference": payment.reference},
        )


class HandoffSpec(Spec):
    kind = K.HANDOFF
    model = Handoff
    registry = False

    def base(self, now):
        qs = handoff_selectors.with_flags(
            Handoff.objects.filter(status__in=handoff_selectors.OPEN), timezone.localdate(now)
        )
        if self.registry:
            return qs.filter(channel=REGISTRY_CHANNEL)
        return qs.exclude(channel=REGISTRY_CHANNEL)

    def failing(self, now):
        return (
            Q(status=H.FAILED)
            | Q(status=H.PENDING, attempts__gt=0)
            | Q(status=H.PENDING, created_at__lt=now - late_after())
            | Q(is_late=True)
        )

    def listing(self, qs):
        last = HandoffMessage.objects.filter(handoff=OuterRef("pk"), kind="deliver").order_by(
            "-started_at"
        )
        return qs.select_related("dossier__agency", "agency").annotate(
            last_status=Subquery(last.values("response_status")[:1]),
            last_response=Subquery(last.annotate(head=Left("response", 500)).values("head")[:1]),
        )

    def row(self, handoff, now):
        if handoff.status == H.FAILED:
            state = "failed"
        elif handoff.last_error:
            state = "retrying"
        else:
            state = "late"
        raw = handoff.last_error
        if handoff.last_status or handoff.last_response:
            raw = f"{raw}\n\nHTTP {handoff.last_status or '—'}: {handoff.last_response or ''}"
        if handoff.last_error:
            error = plain_error(handoff.last_error)
        elif handoff.is_late:
            error = _("Not finished by its due date (%(date)s).") % {
                "date": handoff.due_date.strftime("%d/%m/%Y") if handoff.due_date else "—"
            }
        else:
            error = _waiting(handoff.created_at, now)
        return FailureRow(
            kind=self.kind,
            object_id=str(handoff.pk),
            since=handoff.created_at,
            tries=handoff.attempts,
            error=error,
            raw_error=raw.strip(),
            state=state,
            dossier_id=handoff.dossier_id,
            dossier_code=handoff.dossier.code or "",
            agency_name=handoff.dossier.agency.display_name,
            details={
                "target": handoff.get_target_display(),
                "status": handoff.status,
                "receiver": handoff.agency.display_name if handoff.agency else "",
            },
            can_retry=handoff.status == H.FAILED,
            handoff_id=handoff.pk,
        )


class RegistrySpec(HandoffSpec):
    kind = K.REGISTRY
    registry = True


class ImportSpec(Spec):
    """Runs of ``manage.py import_population``: no dossier, no agency (only an
    administrator sees them); the file's name stands for the dossier."""

    kind = K.IMPORT
    model = PopulationImport
    S = PopulationImport.Status

    def base(self, now):
        return PopulationImport.objects.exclude(status=self.S.DONE, rejected=0)

    def failing(self, now):
        return (
            Q(status=self.S.FAILED)
            | Q(status=self.S.DONE, rejected__gt=0)
            | Q(status=self.S.RUNNING, started_at__lt=now - import_late_after())
        )

    def since_field(self):
        return "started_at"

    def listing(self, qs):
        return qs.select_related("actor")

    def visible(self, scope, now):
        qs = self.base(now)
        return qs if scope.everything else qs.none()

    def row(self, run, now):
        details = {
            "file": run.file_name,
            "status": run.status,
            "rows_read": str(run.rows_read),
            "inserted": str(run.inserted),
            "updated": str(run.updated),
            "unchanged": str(run.unchanged),
            "rejected": str(run.rejected),
            "rejects_file": run.rejects_file,
            "host": run.host,
            "pid": "" if run.pid is None else str(run.pid),
            "actor": (run.actor.full_name or run.actor.email) if run.actor else "",
        }
        if run.status == self.S.FAILED:
            state, error, raw = "failed", plain_import_error(run.error), run.error
        elif run.status == self.S.DONE:
            state = "failed"
            error = ngettext(
                "%(count)s row rejected, see %(file)s.",
                "%(count)s rows rejected, see %(file)s.",
                run.rejected,
            ) % {"count": f"{run.rejected:,}", "file": run.rejects_file or _("the rejects file")}
            raw = (
                f"{run.file_name}: {run.rows_read} rows read, {run.inserted} new, "
                f"{run.updated} updated, {run.unchanged} unchanged, {run.rejected} rejected "
                f"(rejects file: {run.rejects_file or '-'}); finished "
                f"{run.finished_at.isoformat() if run.finished_at else '-'}"
            )
        else:
            state = "late"
            hours = max(int((now - run.started_at).total_seconds() // 3600), 0)
            error = _(
                "Still running after %(hours)s hours: the import probably stopped (process "
                "%(pid)s on %(host)s). Check on the server; nothing of an unfinished import "
                "is loaded."
            ) % {"hours": hours, "pid": run.pid or "—", "host": run.host or "—"}
            raw = (
                f"{run.file_name}: running since {run.started_at.isoformat()} "
                f"(process {run.pid or '-'} on {run.host or '-'}), no end recorded"
            )
        return FailureRow(
            kind=self.kind,
            object_id=str(run.pk),
            since=run.started_at,
            tries=None,
            error=error,
            raw_error=raw,
            state=state,
            details=details,
        )


SPECS: dict[str, Spec] = {
    s.kind: s
    for s in (
        EventSpec(),
        DocumentSpec(),
        NoticeSpec(),
        PaymentSpec(),
        HandoffSpec(),
        RegistrySpec(),
        ImportSpec(),
    )
}


# --- The list, one row, the counts -------------------------------------------------------------


def failure_list(
    user: User,
    *,
    kind: str = "",
    handled: bool = False,
    now: dt.datetime | None = None,
    scope: Scope | None = None,
) -> list[FailureRow]:
    """The failures the user may see, newest first: the open ones, or those
    marked handled (with their resolution). One query per kind, plus one for
    the resolutions."""
    now = now or timezone.now()
    scope = scope or scope_for(user)
    if scope is None:
        return []
    rows: list[FailureRow] = []
    for spec in _specs(kind):
        resolved = _resolved(spec.kind)
        qs = spec.visible(scope, now).filter(spec.failing(now))
        qs = qs.filter(resolved) if handled else qs.filter(~resolved)
        qs = spec.listing(qs).order_by(f"-{spec.since_field()}")[:LIST_LIMIT]
        rows.extend(spec.row(obj, now) for obj in qs)
    rows.sort(key=lambda r: r.since, reverse=True)
    if handled and rows:
        _attach_resolutions(rows)
    return rows


def _specs(kind: str) -> Iterable[Spec]:
    if kind:
        return [SPECS[kind]]
    return SPECS.values()


def _attach_resolutions(rows: list[FailureRow]) -> None:
    wanted = Q()
    for row in rows:
        wanted |= Q(kind=row.kind, object_key=row.object_id)
    found = {
        (r.kind, r.object_key): r
        for r in FailureResolution.objects.filter(wanted, active=True).select_related("actor")
    }
    for row in rows:
        row.resolution = found.get((row.kind, row.object_id))


def failure_detail(
    user: User, kind: str, object_id: Any, *, now: dt.datetime | None = None
) -> FailureRow | None:
    """One failing row the user may see, with its active resolution; None
    for a row they may not see, or that is not failing (any more)."""
    now = now or timezone.now()
    scope = scope_for(user)
    spec = SPECS.get(kind)
    if scope is None or spec is None:
        return None
    qs = spec.listing(spec.visible(scope, now).filter(spec.failing(now)))
    try:
        obj = qs.filter(pk=object_id).first()
    except (ValueError, TypeError, ValidationError):
        return None
    if obj is None:
        return None
    row = spec.row(obj, now)
    row.resolution = (
        FailureResolution.objects.filter(kind=kind, object_key=row.object_id, active=True)
        .select_related("actor")
        .first()
    )
    return row


def failure_counts(scope: Scope, *, now: dt.datetime | None = None) -> dict[str, dict[str, int]]:
    """Per kind: ``open`` and ``handled`` failures in the scope (one query per kind)."""
    now = now or timezone.now()
    counts = {}
    for spec in SPECS.values():
        resolved = _resolved(spec.kind)
        counts[spec.kind] = (
            spec.visible(scope, now)
            .filter(spec.failing(now))
            .aggregate(open=Count("pk", filter=~resolved), handled=Count("pk", filter=resolved))
        )
    return counts


def open_total(scope: Scope, *, now: dt.datetime | None = None) -> int:
    """Open failures of every kind in the scope, in one query (a UNION ALL of
    the kinds' rows, counted): the back-office header's count."""
    now = now or timezone.now()
    parts = [
        spec.visible(scope, now)
        .filter(spec.failing(now))
        .filter(~_resolved(spec.kind))
        .annotate(one=Value(1, output_field=IntegerField()))
        .values_list("one")
        .order_by()
        for spec in SPECS.values()
    ]
    first, *rest = parts
    return first.union(*rest, all=True).count() if rest else first.count()


def outbox_ages(now: dt.datetime | None = None) -> dict[str, Any]:
    """The oldest undelivered outbox rows and how many are waiting (two queries)."""
    now = now or timezone.now()
    events = DossierEvent.objects.filter(processed_at__isnull=True).aggregate(
        oldest=Min("at"), waiting=Count("pk")
    )
    handoffs = Handoff.objects.filter(status=H.PENDING).aggregate(
        oldest=Min("created_at"), waiting=Count("pk")
    )

    def age(oldest: dt.datetime | None) -> float | None:
        return round((now - oldest).total_seconds(), 1) if oldest else None

    return {
        "event": {"waiting": events["waiting"], "oldest_age_seconds": age(events["oldest"])},
        "handoff": {"waiting": handoffs["waiting"], "oldest_age_seconds": age(handoffs["oldest"])},
    }


def event_key(document_key: str) -> int | None:
    """The event a slip was rendered for (``event-<id>``), if it names one."""
    match = EVENT_KEY.match(document_key or "")
    return int(match.group(1)) if match else None


# --- The back-office header's count ----------------------------------------------------------

COUNT_KEY = "operations:open-failures:{}"


def cached_open_count(user: User) -> int | None:
    """The number of open failures the user may see, for the back-office
    header; None for a user who may see none (no query then). Kept by this
    process for ``EGOV_FAILURE_COUNT_SECONDS`` (0: counted each time)."""
    from django.core.cache import caches

    scope = scope_for(user)
    if scope is None:
        return None
    seconds = float(settings.EGOV_FAILURE_COUNT_SECONDS)
    if seconds <= 0:
        return open_total(scope)
    cache = caches["local"]
    key = COUNT_KEY.format(scope.cache_key)
    count = cache.get(key)
    if count is None:
        count = open_total(scope)
        cache.set(key, count, seconds)
    return count


def forget_counts(user: User) -> None:
    """After an action: this process counts again for the actor's scope (and
    for everything); other scopes and processes catch up within seconds."""
    from django.core.cache import caches

    scope = scope_for(user)
    keys = {COUNT_KEY.format(EVERYTHING.cache_key)}
    if scope is not None:
        keys.add(COUNT_KEY.format(scope.cache_key))
    caches["local"].delete_many(list(keys))
