"""Notices to applicants at each step of their dossier: listed in their own
space, sent by email and, when a phone number is known, by SMS.

SMS goes through a provider interface (``EGOV_SMS_PROVIDER``, a dotted path);
the default logs the message (masked) instead of sending it, for the demo.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from onecounter.models import DossierEvent, Notification

logger = logging.getLogger(__name__)

# Internal review steps that do not change what the applicant sees.
SILENT_ACTIONS = {"propose", "send_back"}


class SmsProvider(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LoggingSmsProvider:
    """Writes the SMS to the log (the last 3 digits of the number only)."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to ***%s: %s", phone[-3:], text)


@lru_cache(maxsize=1)
def sms_provider() -> SmsProvider:
    path = getattr(settings, "EGOV_SMS_PROVIDER", "onecounter.notifications.LoggingSmsProvider")
    return import_string(path)()


def _message(event: DossierEvent) -> tuple[str, str]:
    dossier = event.dossier
    status = dossier.get_status_display() if event.to_status == dossier.status else event.to_status
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
    }
    template = texts.get(event.action, _("Dossier %(code)s: %(status)s."))
    body = template % {
        "code": code,
        "due": dossier.due_date.strftime("%d/%m/%Y") if dossier.due_date else "—",
        "reason": event.reason or "—",
        "status": status,
    }
    subject = _("Dossier %(code)s: %(status)s") % {"code": code, "status": status}
    return subject, body


def notify_for_event(event: DossierEvent) -> Notification | None:
    """Create the notice for a step (once) and send what has not been sent yet."""
    if event.action in SILENT_ACTIONS:
        return None
    dossier = event.dossier
    if not (dossier.applicant_id or dossier.applicant_email or dossier.applicant_phone):
        return None
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _message(event)
    notification, _created = Notification.objects.get_or_create(
        event=event,
        defaults={
            "dossier": dossier,
            "user_id": dossier.applicant_id,
            "email": dossier.applicant_email,
            "phone": dossier.applicant_phone,
            "subject": subject[:200],
            "body": body,
        },
    )
    send_pending(notification)
    return notification


def send_pending(notification: Notification) -> None:
    update = ["attempts"]
    notification.attempts += 1
    if notification.email and notification.email_sent_at is None:
        send_mail(notification.subject, notification.body, None, [notification.email])
        notification.email_sent_at = timezone.now()
        update.append("email_sent_at")
    if notification.phone and notification.sms_sent_at is None:
        sms_provider().send(notification.phone, notification.body)
        notification.sms_sent_at = timezone.now()
        update.append("sms_sent_at")
    notification.save(update_fields=update)
