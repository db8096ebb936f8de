"""Writes to the population database: persons, households, memberships,
access logs, corrections and identity links.

Every function is keyword-only, takes the acting user (or agency), runs in a
transaction and leaves a history row: a record is never silently changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citizens.idnumbers import validation_errors
from citizens.models import (
    AccessLog,
    Agency,
    CorrectionRequest,
    Household,
    HouseholdMembership,
    HouseholdVersion,
    IdentityLink,
    IssuedIdNumber,
    Person,
    PersonVersion,
    User,
)
from egov.codes import ErrorCode
from egov.errors import ConflictError, DomainError, PermissionDeniedError, ValidationFailed
from egov.text import fold

# Fields of a person that a version snapshot keeps and a correction may change.
PERSON_FIELDS = [
    "id_number",
    "full_name",
    "birth_date",
    "sex",
    "ethnicity",
    "religion",
    "nationality",
    "birth_place",
    "native_place",
    "permanent_address",
    "permanent_unit_id",
    "current_address",
    "current_unit_id",
    "father_id",
    "father_name",
    "mother_id",
    "mother_name",
    "spouse_id",
    "spouse_name",
    "health_insurance_number",
    "status",
    "death_date",
]
CORRECTABLE_FIELDS = [
    "full_name",
    "birth_date",
    "sex",
    "ethnicity",
    "religion",
    "nationality",
    "birth_place",
    "native_place",
    "permanent_address",
    "current_address",
    "father_name",
    "mother_name",
    "spouse_name",
]
HOUSEHOLD_FIELDS = ["number", "address", "unit_id", "head_id"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "hex") and not isinstance(value, str | bytes):
        return str(value)
    return value


def person_snapshot(person: Person) -> dict[str, Any]:
    return {field: _jsonable(getattr(person, field)) for field in PERSON_FIELDS}


def _coerce(field: str, value: Any) -> Any:
    if field in ("birth_date", "death_date") and isinstance(value, str):
        return dt.date.fromisoformat(value) if value else None
    return value


def _check_person(person: Person) -> None:
    errors = validation_errors(person.id_number, sex=person.sex, birth_date=person.birth_date)
    if person.birth_date and person.birth_date > timezone.localdate():
        errors.append(ValidationError(_("The date of birth is in the future."), code="future_date"))
    if errors:
        raise ValidationFailed(
            " ".join(str(e.message % (e.params or {})) for e in errors),
            code=errors[0].code,
        )


@transaction.atomic
def person_create(
    *, actor: User | None, reason: str, dossier_ref: str = "", source: str = "", **fields: Any
) -> Person:
    """Create a record. The ID number must be valid for the sex and birth year,
    and is registered in ``IssuedIdNumber`` (it may have been generated there)."""
    person = Person(**{k: _coerce(k, v) for k, v in fields.items()})
    person.search_name = fold(person.full_name)
    person.source = source or dossier_ref or reason[:100]
    _check_person(person)
    IssuedIdNumber.objects.get_or_create(number=person.id_number, defaults={"reason": reason[:200]})
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:
        raise ConflictError(
            _("A record with this personal ID number already exists."),
            code=ErrorCode.ID_NUMBER_TAKEN,
        ) from exc
    return person


@transaction.atomic
def person_update(
    *,
    person: Person,
    actor: User | None,
    changes: dict[str, Any],
    reason: str,
    dossier_ref: str = "",
) -> Person:
    """Change a record, keeping its previous state as a version (who, when, why)."""
    if not reason.strip():
        raise ValidationFailed(
            _("A reason is required to change a record."), code=ErrorCode.REASON_REQUIRED
        )
    locked = Person.objects.select_for_update().get(pk=person.pk)
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationFailed(
            _("These fields cannot be changed: %(fields)s")
            % {"fields": ", ".join(sorted(unknown))},
            code=ErrorCode.UNKNOWN_FIELD,
        )
    changed = [
        field for field, value in changes.items() if getattr(locked, field) != _coerce(field, value)
    ]
    if not changed:
        return locked
    before = person_snapshot(locked)
    now = timezone.now()
    for field in changed:
        setattr(locked, field, _coerce(field, changes[field]))
    locked.search_name = fold(locked.full_name)
    _check_person(locked)
    PersonVersion.objects.create(
        person=locked,
        version=locked.version,
        data=before,
        valid_from=locked.updated_at,
        valid_until=now,
        changed_by=actor,
        reason=reason[:500],
        dossier_ref=dossier_ref,
        changed_fields=changed,
    )
    locked.version += 1
    locked.updated_at = now
    locked.save(
        update_fields=[
            *{f.removesuffix("_id") for f in changed},
            "search_name",
            "version",
            "updated_at",
        ]
    )
    return locked


def person_as_of(person: Person, when: dt.datetime) -> dict[str, Any] | None:
    """The record as it was at ``when`` (None before it existed)."""
    if when < person.created_at:
        return None
    if when >= person.updated_at:
        return person_snapshot(person)
    version = (
        person.versions.filter(valid_from__lte=when, valid_until__gt=when)
        .order_by("-version")
        .first()
    )
    return version.data if version else None


# --- Households ----------------------------------------------------------------


@transaction.atomic
def household_create(
    *,
    actor: User | None,
    number: str,
    address: str,
    unit,
    head: Person | None = None,
    reason: str,
    dossier_ref: str = "",
) -> Household:
    return Household.objects.create(number=number, address=address, unit=unit, head=head)


@transaction.atomic
def household_update(
    *,
    household: Household,
    actor: User | None,
    changes: dict[str, Any],
    reason: str,
    dossier_ref: str = "",
) -> Household:
    locked = Household.objects.select_for_update().get(pk=household.pk)
    changed = [f for f, v in changes.items() if getattr(locked, f) != v]
    if not changed:
        return locked
    now = timezone.now()
    HouseholdVersion.objects.create(
        household=locked,
        version=locked.version,
        data={f: _jsonable(getattr(locked, f)) for f in HOUSEHOLD_FIELDS},
        valid_from=locked.updated_at,
        valid_until=now,
        changed_by=actor,
        reason=reason[:500],
        dossier_ref=dossier_ref,
    )
    for field in changed:
        setattr(locked, field, changes[field])
    locked.version += 1
    locked.updated_at = now
    locked.save()
    return locked


@transaction.atomic
def household_join(
    *,
    actor: User | None,
    household: Household,
    person: Person,
    relation: str,
    start_date: dt.date,
    reason: str,
    dossier_ref: str = "",
) -> HouseholdMembership:
    """Register permanent residence in a household.

    The person's active permanent membership elsewhere ends the day before;
    the person's permanent address follows the household (versioned).
    Joining the same household again is a no-op (idempotent).
    """
    Person.objects.select_for_update().filter(pk=person.pk).first()
    active = (
        HouseholdMembership.objects.select_for_update()
        .filter(person=person, end_date__isnull=True, residence_type="permanent")
        .first()
    )
    if active and active.household_id == household.pk:
        return active
    if active:
        if start_date <= active.start_date:
            raise ValidationFailed(
                _("The new residence must start after the current one began."),
                code=ErrorCode.BAD_START_DATE,
            )
        active.end_date = start_date - dt.timedelta(days=1)
        active.end_reason = reason[:255]
        active.save(update_fields=["end_date", "end_reason"])
    membership = HouseholdMembership.objects.create(
        household=household,
        person=person,
        relation=relation,
        start_date=start_date,
        dossier_ref=dossier_ref,
    )
    if relation == "head" and household.head_id != person.pk:
        household_update(
            household=household,
            actor=actor,
            changes={"head": person},
            reason=reason,
            dossier_ref=dossier_ref,
        )
    person_update(
        person=person,
        actor=actor,
        changes={"permanent_address": household.address, "permanent_unit_id": household.unit_id},
        reason=reason,
        dossier_ref=dossier_ref,
    )
    return membership


# --- Access log ----------------------------------------------------------------


def access_log_write(
    *,
    person: Person,
    channel: str,
    purpose: str,
    actor: User | None = None,
    agency: Agency | None = None,
    dossier_ref: str = "",
) -> AccessLog:
    if not purpose.strip():
        raise ValidationFailed(
            _("State the purpose of looking at this record."), code=ErrorCode.PURPOSE_REQUIRED
        )
    return AccessLog.objects.create(
        person=person,
        channel=channel,
        actor=actor,
        agency=agency,
        purpose=purpose.strip()[:500],
        dossier_ref=dossier_ref.strip()[:40],
    )


# --- Identity links --------------------------------------------------------------

LINK_MAX_FAILURES = 5  # per account
# Per address: higher, since a counter, post office or cultural house shares one.
LINK_MAX_FAILURES_PER_IP = 30
LINK_LOCKOUT_SECONDS = 15 * 60


class LinkFailed(DomainError):
    code = ErrorCode.LINK_FAILED
    default_message = _(
        "We could not match these details to a population record. Check the ID number, "
        "your full name as on your ID card, and your date of birth."
    )


class LinkLocked(DomainError):
    code = ErrorCode.LINK_LOCKED
    http_status = 429
    default_message = _("Too many attempts. Try again in 15 minutes or go to a one-stop counter.")


def _link_keys(user: User, ip: str) -> dict[str, int]:
    return {
        f"egov:link-fail:user:{user.pk}": LINK_MAX_FAILURES,
        f"egov:link-fail:ip:{ip}": LINK_MAX_FAILURES_PER_IP,
    }


@transaction.atomic
def identity_link_self(
    *, user: User, id_number: str, full_name: str, birth_date: dt.date, ip: str = ""
) -> IdentityLink:
    """Level 1: all three match one living person. The answer is the same whether
    or not the number exists; failures are counted and lock out for a while."""
    keys = _link_keys(user, ip or "-")
    if any((cache.get(k) or 0) >= limit for k, limit in keys.items()):
        raise LinkLocked()
    if hasattr(user, "identity"):
        raise ConflictError(
            _("Your account is already linked to a record."), code=ErrorCode.ALREADY_LINKED
        )
    person = (
        Person.objects.filter(
            id_number=id_number.strip(),
            birth_date=birth_date,
            status=Person.Status.LIVING,
        )
        .select_for_update()
        .first()
    )
    if (
        person is None
        or fold(person.full_name) != fold(full_name)
        or hasattr(person, "account_link")
    ):
        for key in keys:
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, LINK_LOCKOUT_SECONDS)
        raise LinkFailed()
    cache.delete(next(iter(keys)))  # the account's count; the address keeps its own
    return IdentityLink.objects.create(
        user=user, person=person, level=IdentityLink.Level.BASIC, method=IdentityLink.Method.SELF
    )


@transaction.atomic
def identity_link_verify_at_counter(
    *, clerk: User, agency: Agency, user: User, person: Person
) -> IdentityLink:
    """Level 2: a one-stop clerk has checked the person's ID card."""
    from citizens.models import Role
    from citizens.permissions import has_role

    if not has_role(clerk, agency, [Role.CLERK]):
        raise PermissionDeniedError()
    if clerk.pk == user.pk:
        raise PermissionDeniedError(
            _("Another clerk must check your own identity."), code=ErrorCode.FOUR_EYES
        )
    if person.status != Person.Status.LIVING:
        raise ValidationFailed(
            _("Only a living person's record can be linked."), code=ErrorCode.NOT_LIVING
        )
    link = IdentityLink.objects.select_for_update().filter(user=user).first()
    if link and link.person_id != person.pk:
        raise ConflictError(
            _("This account is linked to another record."), code=ErrorCode.LINKED_ELSEWHERE
        )
    other = IdentityLink.objects.filter(person=person).exclude(user=user).first()
    if other:
        raise ConflictError(
            _("This record is linked to another account."), code=ErrorCode.RECORD_LINKED_ELSEWHERE
        )
    now = timezone.now()
    if link is None:
        link = IdentityLink(user=user, person=person, method=IdentityLink.Method.COUNTER)
    link.level = IdentityLink.Level.VERIFIED
    link.verified_by = clerk
    link.verified_at = now
    link.save()
    return link


# --- Corrections (four eyes) -----------------------------------------------------


@transaction.atomic
def correction_request_create(
    *, person: Person, requested_by: User, changes: dict[str, Any], reason: str, document=None
) -> CorrectionRequest:
    unknown = set(changes) - set(CORRECTABLE_FIELDS)
    if unknown or not changes:
        raise ValidationFailed(
            _("Choose at least one detail to correct."), code=ErrorCode.NO_CHANGES
        )
    if not reason.strip():
        raise ValidationFailed(_("Explain what is wrong."), code=ErrorCode.REASON_REQUIRED)
    request = CorrectionRequest(
        person=person,
        requested_by=requested_by,
        changes={k: _jsonable(v) for k, v in changes.items()},
        reason=reason.strip()[:1000],
    )
    if document is not None:
        request.document = document
    request.save()
    return request


@transaction.atomic
def correction_decide(
    *, request: CorrectionRequest, officer: User, approve: bool, note: str = ""
) -> CorrectionRequest:
    """Approve (apply, versioned) or reject. Never by the person who asked."""
    locked = CorrectionRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != CorrectionRequest.Status.PENDING:
        raise ConflictError(
            _("This request has already been decided."), code=ErrorCode.ALREADY_DECIDED
        )
    if locked.requested_by_id == officer.pk:
        raise PermissionDeniedError(
            _("Another officer must decide on a request you made."), code=ErrorCode.FOUR_EYES
        )
    from citizens.models import Role
    from citizens.permissions import agencies_with_roles, agency_covering

    person = Person.objects.select_related("permanent_unit__parent", "current_unit__parent").get(
        pk=locked.person_id
    )
    if agency_covering(agencies_with_roles(officer, [Role.OFFICER, Role.HEAD]), person) is None:
        raise PermissionDeniedError()
    if not approve and not note.strip():
        raise ValidationFailed(_("Give the reason for rejecting."), code=ErrorCode.REASON_REQUIRED)
    if approve:
        person_update(
            person=locked.person,
            actor=officer,
            changes=locked.changes,
            reason=f"Correction approved: {locked.reason}"[:500],
            dossier_ref=f"CR-{str(locked.pk)[:8]}",
        )
    locked.status = (
        CorrectionRequest.Status.APPROVED if approve else CorrectionRequest.Status.REJECTED
    )
    locked.decided_by = officer
    locked.decided_at = timezone.now()
    locked.decision_note = note.strip()[:1000]
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return locked
