"""Notices to applicants at each step of their dossier: listed in their own
space, sent by email and, when a phone number is known, by SMS.

``notify_for_event`` runs inside the transaction of ``tasks.after_event``: it
writes the ``Notification`` row once per event (the outbox) and delivers it
only after that transaction has committed, so nothing is sent for a step that
was rolled back and a retried event never writes a second notice.

Delivery (``deliver``) is idempotent per channel: it locks the row, sends only
the channels without a ``*_sent_at``, and records ``attempts`` and
``last_error`` (no personal data in it). A failed channel does not stop the
other one and does not raise; ``deliver_pending`` sends what is still due and
is meant to be run by a periodic job.

SMS goes through a provider interface (``EGOV_SMS_PROVIDER``, a dotted path).
The default, ``LoggingSmsProvider``, logs that a message would be sent (to a
masked number, without its text) instead of sending it, for the demo;
``HttpSmsProvider`` posts JSON to an SMS gateway (``EGOV_SMS_URL``,
``EGOV_SMS_TOKEN``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from functools import partial
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from egov import events
from onecounter.events import NoticeWriting
from onecounter.models import Dossier, DossierEvent, DossierStatus, Notification

logger = logging.getLogger(__name__)

# Internal review steps that do not change what the applicant sees.
SILENT_ACTIONS = {"propose", "send_back"}
MAX_ATTEMPTS = 8
ERROR_MAX = 1000


# --- SMS providers -------------------------------------------------------------------


class SmsProvider(Protocol):
    def send(self, phone: str, text: str, *, message_id: str = "", dossier_ref: str = "") -> None:
        """Send one message or raise. ``message_id`` is stable across retries
        (gateways use it to drop duplicates)."""


class SmsError(Exception):
    """The SMS gateway did not accept the message."""


def mask_phone(phone: str) -> str:
    """``***678``: enough to tell numbers apart in a log, not enough to call."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"***{digits[-3:]}"


class LoggingSmsProvider:
    """Logs that an SMS would be sent: masked number and reference, not the text
    (which may hold a reason written about the applicant)."""

    def send(self, phone: str, text: str, *, message_id: str = "", dossier_ref: str = "") -> None:
        logger.info(
            "SMS to %s (dossier %s, message %s, %d characters)",
            mask_phone(phone),
            dossier_ref or "-",
            message_id or "-",
            len(text),
        )


class HttpSmsProvider:
    """Posts ``{"id", "to", "text", "reference"}`` as JSON to ``EGOV_SMS_URL``
    with ``Authorization: Bearer <EGOV_SMS_TOKEN>``; any answer but 2xx is a
    failure (the notice keeps the error and is sent again later)."""

    def __init__(self) -> None:
        self.url = getattr(settings, "EGOV_SMS_URL", "")
        self.token = getattr(settings, "EGOV_SMS_TOKEN", "")
        self.timeout = float(getattr(settings, "EGOV_SMS_TIMEOUT", 10))
        if not self.url:
            raise SmsError("EGOV_SMS_URL is not set")

    def send(self, phone: str, text: str, *, message_id: str = "", dossier_ref: str = "") -> None:
        payload = {"id": message_id, "to": phone, "text": text, "reference": dossier_ref}
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": message_id,
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsError(f"gateway unreachable: {type(exc).__name__}") from exc
        logger.info(
            "SMS to %s (dossier %s, message %s): HTTP %s",
            mask_phone(phone),
            dossier_ref or "-",
            message_id or "-",
            status,
        )
        if not 200 <= status < 300:
            raise SmsError(f"gateway answered HTTP {status}")


def sms_provider() -> SmsProvider:
    path = getattr(
        settings, "EGOV_SMS_PROVIDER", "onecounter.notifications.services.LoggingSmsProvider"
    )
    return import_string(path)()


# --- What to say -----------------------------------------------------------------------


def is_silent(event: DossierEvent) -> bool:
    """Steps the applicant does not see: internal review, re-assignment to
    another officer, and the submission of a dossier taken at the counter
    (the person is handed a receipt for it a moment later)."""
    if event.action in SILENT_ACTIONS:
        return True
    if event.action == "assign" and event.from_status == event.to_status:
        return True
    if _handed_on_result_step(event):
        return True
    return event.action == "submit" and event.dossier.channel in (
        Dossier.Channel.COUNTER,
        Dossier.Channel.POST,
    )


def _handed_on_result_step(event: DossierEvent) -> bool:
    """The system's "result ready" and "handed over" on a dossier handed on by
    another agency: its result comes back with the originating dossier's, in
    that dossier's one notice."""
    return (
        event.actor_id is None
        and event.action in ("mark_result_ready", "hand_back")
        and event.dossier.channel == Dossier.Channel.LINKED
    )


def _message(event: DossierEvent) -> tuple[str, str]:
    dossier = event.dossier
    try:
        status = str(DossierStatus(event.to_status).label)
    except ValueError:
        status = event.to_status
    code = dossier.code or ""
    texts = {
        "submit": _("We have your dossier %(code)s. A one-stop clerk will check it."),
        "receive": _("Dossier %(code)s has been received. Promised date: %(due)s."),
        "request_supplement_before_receipt": _(
            "Dossier %(code)s is incomplete. See the list of what is missing and send it again."
        ),
        "resubmit": _("We have your completed dossier %(code)s."),
        "refuse": _("Dossier %(code)s was not accepted: %(reason)s"),
        "assign": _("Dossier %(code)s is being processed."),
        "request_supplement": _(
            "Dossier %(code)s needs more documents. The deadline is paused until you send them."
        ),
        "supply": _("We have the documents for dossier %(code)s. New promised date: %(due)s."),
        "approve": _("Dossier %(code)s has been approved. The result is being prepared."),
        "reject": _("Dossier %(code)s has been rejected: %(reason)s"),
        "mark_result_ready": _("The result of dossier %(code)s is ready."),
        "hand_back": _("The result of dossier %(code)s has been handed over."),
        "withdraw": _("Dossier %(code)s has been withdrawn."),
        "apologise": _(
            "We are sorry: dossier %(code)s will be late. New promised date: %(due)s. Reason: %(reason)s"
        ),
        "hand_in": _(
            "Your registered birth was handed on to %(agency)s as dossier %(code)s. "
            "Promised date: %(due)s."
        ),
        "need_verification": _(
            "%(agency)s needs to verify dossier %(code)s. New promised date: %(due)s."
        ),
    }
    template = texts.get(event.action, _("Dossier %(code)s: %(status)s."))
    due = dossier.due_date
    if event.action == "apologise" and event.data.get("new_due_date"):
        due = dt.date.fromisoformat(event.data["new_due_date"])  # the date of this step
    body = template % {
        "code": code,
        "due": due.strftime("%d/%m/%Y") if due else "—",
        "reason": event.reason or "—",
        "status": status,
        "agency": dossier.agency.name,
    }
    extra = _handoff_text(event)
    if extra:
        body = f"{body}\n\n{extra}"
    subject = _("Dossier %(code)s: %(status)s") % {"code": code, "status": status}
    return subject, body


def _handoff_text(event: DossierEvent) -> str:
    """What the listeners add to a notice (e.g. for handoffs between agencies:
    on a refusal, what to do next; on "result ready", every result that came
    back): ``onecounter.events.NoticeWriting``."""
    return "\n\n".join(str(text) for text in events.publish(NoticeWriting(event=event)) if text)


# --- Notices ---------------------------------------------------------------------------


def notify_for_event(event: DossierEvent) -> Notification | None:
    """Create the notice for a step (once) and deliver it after commit.

    A dossier may have no account (a walk-in with a phone number only), no
    email or no phone: the notice goes where it can; with nowhere to go and
    no account to list it in, there is no notice.
    """
    dossier = event.dossier
    if is_silent(event):
        return None
    account = dossier.applicant if dossier.applicant_id else None
    email = dossier.applicant_email or (account.email if account else "")
    phone = dossier.applicant_phone or (account.phone if account else "")
    if not (account or email or phone):
        return None
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _message(event)
    notification, _created = Notification.objects.get_or_create(
        event=event,
        defaults={
            "dossier": dossier,
            "user": account,
            "email": email,
            "phone": phone,
            "subject": subject[:200],
            "body": body,
        },
    )
    if _undelivered(notification):
        transaction.on_commit(partial(deliver, notification.pk))
    return notification


def _undelivered(notification: Notification) -> bool:
    return bool(
        (notification.email and notification.email_sent_at is None)
        or (notification.phone and notification.sms_sent_at is None)
    )


def _scrub(text: str, notification: Notification) -> str:
    """An error message without the address or number it was about."""
    for secret in (notification.email, notification.phone):
        if secret:
            text = text.replace(secret, "***")
    return text[:ERROR_MAX]


def deliver(notification_id) -> bool:
    """Send the channels of a notice that have not been sent yet. Returns True
    when nothing is left to send. Never raises for a failed channel: the
    error is recorded on the notice and ``deliver_pending`` tries again."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("dossier")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or not _undelivered(notification):
            return True
        errors: list[str] = []
        failed: list[str] = []  # for the log: channel and error class only
        update = ["attempts", "last_error"]
        reference = notification.dossier.code if notification.dossier else ""
        if notification.email and notification.email_sent_at is None:
            try:
                send_mail(notification.subject, notification.body, None, [notification.email])
            except Exception as exc:  # noqa: BLE001 - any backend error is recorded
                errors.append(f"email: {type(exc).__name__}: {exc}")
                failed.append(f"email {type(exc).__name__}")
            else:
                notification.email_sent_at = timezone.now()
                update.append("email_sent_at")
        if notification.phone and notification.sms_sent_at is None:
            try:
                sms_provider().send(
                    notification.phone,
                    notification.body,
                    message_id=str(notification.pk),
                    dossier_ref=reference or "",
                )
            except Exception as exc:  # noqa: BLE001 - any provider error is recorded
                errors.append(f"sms: {type(exc).__name__}: {exc}")
                failed.append(f"sms {type(exc).__name__}")
            else:
                notification.sms_sent_at = timezone.now()
                update.append("sms_sent_at")
        notification.attempts += 1
        notification.last_error = _scrub("\n".join(errors), notification)
        notification.save(update_fields=update)
    if failed:
        logger.warning(
            "notice %s not fully delivered (attempt %s): %s",
            notification.pk,
            notification.attempts,
            ", ".join(failed),
        )
    return not failed


def send_pending(notification: Notification) -> bool:
    """Deliver one notice now (kept for callers of the earlier interface)."""
    return deliver(notification.pk)


def deliver_pending(
    *, older_than_seconds: int = 60, limit: int = 200, max_attempts: int = MAX_ATTEMPTS
) -> int:
    """Try again the notices with a channel still unsent, oldest first, up to
    ``max_attempts`` each (after that they stay visible with ``last_error``
    for an administrator). For a periodic job. Returns how many were tried."""
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    ids = list(
        Notification.objects.filter(
            Q(email__gt="", email_sent_at__isnull=True) | Q(phone__gt="", sms_sent_at__isnull=True),
            attempts__lt=max_attempts,
            created_at__lte=cutoff,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for notification_id in ids:
        deliver(notification_id)
    return len(ids)
