"""Writes of the one-stop app."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from citizens.models import AccessLog, Agency, Person, Role, User
from citizens.permissions import roles_in
from citizens.population import access_log_write
from egov.errors import PermissionDeniedError
from onecounter.models import Dossier
from procedures.models import Procedure

# --- Dossiers ------------------------------------------------------------------


def _applicant_fields(person: Person | None, user: User | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if user is not None:
        fields.update(applicant_name=user.full_name or user.email, applicant_email=user.email)
        if user.phone:
            fields["applicant_phone"] = user.phone
    if person is not None:
        fields.update(
            applicant_person=person,
            applicant_name=person.full_name,
            applicant_id_number=person.id_number,
            applicant_address=person.permanent_address,
        )
    return fields


@transaction.atomic
def dossier_create_draft(
    *,
    procedure: Procedure,
    agency: Agency,
    applicant: User,
    data: dict[str, Any] | None = None,
    subject_person: Person | None = None,
) -> Dossier:
    """A citizen's online draft. The applicant's record (when linked) fills the
    applicant fields."""
    person = getattr(getattr(applicant, "identity", None), "person", None)
    return Dossier.objects.create(
        procedure=procedure,
        agency=agency,
        channel=Dossier.Channel.ONLINE,
        applicant=applicant,
        subject_person=subject_person,
        created_by=applicant,
        data=data or {},
        **_applicant_fields(person, applicant),
    )


@transaction.atomic
def counter_intake(
    *,
    clerk: User,
    agency: Agency,
    procedure: Procedure,
    person: Person,
    data: dict[str, Any] | None = None,
    phone: str = "",
    email: str = "",
    purpose: str = "",
    by_post: bool = False,
) -> Dossier:
    """A clerk files a walk-in person's dossier (found in the population
    database), and receives it at once: the result has a code and a promised
    date, and the receipt slip is rendered after commit. A fee due before
    receipt (e.g. a late birth registration's) is taken in cash as it is filed
    (the step ``record_cash_payment``). ``by_post``: the papers came through
    the postal service (counted apart in the statistics; handled as at the
    counter)."""
    from onecounter import transitions

    if Role.CLERK not in roles_in(clerk, agency):
        raise PermissionDeniedError()
    linked_user = getattr(getattr(person, "account_link", None), "user", None)
    fields = _applicant_fields(person, None)
    dossier = Dossier.objects.create(
        procedure=procedure,
        agency=agency,
        channel=Dossier.Channel.POST if by_post else Dossier.Channel.COUNTER,
        applicant=linked_user,
        created_by=clerk,
        data=data or {},
        applicant_phone=phone or (linked_user.phone if linked_user else ""),
        applicant_email=email or (linked_user.email if linked_user else ""),
        **fields,
    )
    dossier = transitions.perform(dossier, "submit", actor=clerk)
    if transitions.fee_due_before_receipt(dossier):
        # Paid first (e.g. a late birth registration's fee): the walk-in pays
        # the clerk in cash as the dossier is filed.
        dossier = transitions.perform(dossier, "record_cash_payment", actor=clerk)
    dossier = transitions.perform(dossier, "receive", actor=clerk)
    access_log_write(
        person=person,
        channel=AccessLog.Channel.STAFF_UI,
        actor=clerk,
        agency=agency,
        purpose=purpose or f"Tiếp nhận hồ sơ {procedure.code}",
        dossier_ref=dossier.code or str(dossier.pk),
    )
    return dossier
