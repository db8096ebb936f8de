"""Back-office pages of the population database.

Why one module of this size (about 750 lines): the pages are one flow (search,
stated purpose, record, corrections, identity check) that share the session's
purpose grant and the access logging; split it when a page grows a flow of
its own.

Who may do what
- Search, open, and ask for a correction: staff holding a clerk, officer or
  head role (statisticians, catalog administrators and training coordinators
  have no business reading personal records).
- Search by name covers the staff member's jurisdiction only: the ward of a
  ward agency, every commune of the province for a city department. An exact
  personal ID number finds anyone.
- A record opens only after the purpose is stated (a dossier or a written
  reason). Stating it writes an access-log row and grants the session a
  15-minute look at that record; every page that then shows the record's data
  (the person page, each "as of" view, the correction form) writes a row of
  its own with the same purpose, so every read is in the log.
- Correction requests are decided by officers and heads whose jurisdiction
  covers the person, never by the requester (four eyes, enforced by the
  service too).
- The level-2 identity check at the counter is for one-stop clerks of the
  agency in the URL.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import os
import time
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods

from citizens import permissions, population, selectors
from citizens.forms_staff import (
    AsOfForm,
    CorrectionForm,
    DecisionForm,
    IdentityConfirmForm,
    IdentityFindForm,
    PersonSearchForm,
    PurposeForm,
)
from citizens.models import (
    AccessLog,
    AdministrativeUnit,
    Agency,
    CorrectionRequest,
    HouseholdMembership,
    Person,
    PersonVersion,
    Role,
    Sex,
    User,
)
from citizens.population import PERSON_FIELDS
from citizens.reference import ETHNICITY_NAMES, RELATIONS
from citizens.views import staff_required
from egov.errors import DomainError

POPULATION_ROLES = (Role.CLERK, Role.OFFICER, Role.HEAD)
DECIDING_ROLES = (Role.OFFICER, Role.HEAD)
GRANT_SECONDS = 15 * 60
GRANTS_SESSION_KEY = "population_grants"
SEARCH_LIMIT = 50
VERSIONS_SHOWN = 100
QUEUE_LIMIT = 200

# Stored in the access log as written here; the pages that show the log
# translate them (they are in the message catalogue through gettext_noop).
PURPOSE_DOSSIER = gettext_noop("Work on a dossier")
PURPOSE_IDENTITY_CHECK = gettext_noop("Identity check at the counter")
PURPOSE_CORRECTION = gettext_noop("Deciding on a correction request")

RELATION_LABELS = dict(RELATIONS)
UNIT_FIELDS = {"permanent_unit_id", "current_unit_id"}
PERSON_LINK_FIELDS = {"father_id", "mother_id", "spouse_id"}


# --- Who may see what --------------------------------------------------------------


def _require_agencies(request: HttpRequest, roles=POPULATION_ROLES) -> list[Agency]:
    agencies = permissions.agencies_with_roles(request.user, roles)
    if not agencies:
        raise PermissionDenied
    return agencies


# --- The purpose grant kept in the session -------------------------------------------


def _grants(request: HttpRequest) -> dict[str, dict]:
    now = time.time()
    grants = request.session.get(GRANTS_SESSION_KEY, {})
    return {pid: grant for pid, grant in grants.items() if grant.get("expires", 0) > now}


def _grant_store(request: HttpRequest, person: Person, **grant: Any) -> None:
    grants = _grants(request)
    grants[str(person.pk)] = {**grant, "expires": time.time() + GRANT_SECONDS}
    request.session[GRANTS_SESSION_KEY] = grants
    request.session["population_last_purpose"] = {
        k: grant[k] for k in ("dossier_ref", "reason", "agency")
    }


def _grant_for(request: HttpRequest, person_id: uuid.UUID, agencies: list[Agency]):
    """(grant, agency) when the session holds a valid grant for this person and
    the agency it was stated for is still one of the user's; else (None, None)."""
    grant = _grants(request).get(str(person_id))
    if grant is None:
        return None, None
    agency = next((a for a in agencies if str(a.pk) == grant.get("agency")), None)
    if agency is None:
        return None, None
    return grant, agency


def _log_read(request: HttpRequest, person: Person, grant: dict, agency: Agency) -> None:
    population.access_log_write(
        person=person,
        channel=AccessLog.Channel.STAFF_UI,
        actor=request.user,
        agency=agency,
        purpose=grant["purpose"],
        dossier_ref=grant["dossier_ref"],
    )


def _to_purpose_page(person_id: uuid.UUID, **query: str) -> HttpResponse:
    url = reverse("backoffice:population-purpose", args=[person_id])
    return redirect(f"{url}?{urlencode(query)}" if query else url)


# --- Showing values of a record (current, a version's, a snapshot's) ---------------


def _field_label(field: str) -> str:
    return str(Person._meta.get_field(field.removesuffix("_id")).verbose_name)


class _Names:
    """Names of the units and persons a set of snapshots refers to, in two queries."""

    def __init__(self, snapshots: list[dict]):
        unit_ids = {s.get(f) for s in snapshots for f in UNIT_FIELDS} - {None, ""}
        person_ids = {s.get(f) for s in snapshots for f in PERSON_LINK_FIELDS} - {None, ""}
        self.units = (
            {
                u.pk: u
                for u in AdministrativeUnit.objects.filter(pk__in=unit_ids).select_related("parent")
            }
            if unit_ids
            else {}
        )
        self.persons = (
            dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "full_name"))
            if person_ids
            else {}
        )

    def show(self, field: str, value: Any) -> str:
        if value in (None, ""):
            return "—"
        if field in UNIT_FIELDS:
            unit = self.units.get(value)
            if unit is None:
                return str(value)
            if unit.parent_id:
                return f"{unit.display_name}, {unit.parent.display_name}"
            return unit.display_name
        if field in PERSON_LINK_FIELDS:
            return self.persons.get(uuid.UUID(str(value)), "—")
        if field == "sex":
            return str(Sex(value).label) if value in Sex.values else value
        if field == "status":
            return str(Person.Status(value).label) if value in Person.Status.values else value
        if field == "ethnicity":
            return ETHNICITY_NAMES.get(value, value)
        if field in ("birth_date", "death_date"):
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
            return day.strftime("%d/%m/%Y")
        return str(value)


def _end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in the portal's time zone (the agencies' time)."""
    start_next = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(start_next) - dt.timedelta(microseconds=1)


# --- 1. Search ---------------------------------------------------------------------


@staff_required
@require_http_methods(["GET"])
def population_search(request: HttpRequest) -> HttpResponse:
    agencies = _require_agencies(request)
    allowed = permissions.jurisdiction_units(agencies)
    units = (
        AdministrativeUnit.objects.filter(pk__in=allowed, level=AdministrativeUnit.Level.COMMUNE)
        .select_related("parent")
        .order_by("name")
    )
    submitted = any(name in request.GET for name in PersonSearchForm.base_fields)
    form = PersonSearchForm(request.GET if submitted else None, units=units)
    results = None
    by_id = False
    if submitted and form.is_valid():
        data = form.cleaned_data
        if data["id_number"]:
            by_id = True
            results = list(selectors.person_search(id_number=data["id_number"], limit=SEARCH_LIMIT))
        else:
            results = list(
                selectors.person_search(
                    query=data["name"],
                    birth_date=data["birth_date"],
                    unit=data["unit"],
                    units_allowed=allowed,
                    limit=SEARCH_LIMIT,
                )
            )
    return render(
        request,
        "backoffice/population/search.html",
        {
            "form": form,
            "results": results,
            "by_id": by_id,
            "limit_reached": results is not None and len(results) >= SEARCH_LIMIT,
            "agencies": agencies,
            "can_decide": bool(permissions.agencies_with_roles(request.user, DECIDING_ROLES)),
        },
    )


# --- 2. State the purpose ------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def population_purpose(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    agencies = _require_agencies(request)
    person = get_object_or_404(
        Person.objects.select_related("permanent_unit__parent", "current_unit__parent"),
        pk=person_id,
    )
    default_agency = permissions.agency_covering(agencies, person) or agencies[0]
    came_from = None
    if request.method == "POST":
        form = PurposeForm(request.POST, agencies=agencies)
        if form.is_valid():
            agency = form.chosen_agency(default_agency)
            reason = form.cleaned_data["reason"]
            dossier_ref = form.cleaned_data["dossier_ref"]
            purpose = reason or PURPOSE_DOSSIER
            try:
                population.access_log_write(
                    person=person,
                    channel=AccessLog.Channel.STAFF_UI,
                    actor=request.user,
                    agency=agency,
                    purpose=purpose,
                    dossier_ref=dossier_ref,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                _grant_store(
                    request,
                    person,
                    purpose=purpose,
                    reason=reason,
                    dossier_ref=dossier_ref,
                    agency=str(agency.pk),
                    # The redirect's page view is the read this row records.
                    logged=True,
                )
                return redirect("backoffice:population-person", person_id=person.pk)
    else:
        initial: dict[str, str] = {"agency": default_agency.code}
        via = request.GET.get("via", "")
        came_from = _grants(request).get(via) if via else None
        if came_from is None and request.GET.get("again"):
            came_from = request.session.get(GRANTS_SESSION_KEY, {}).get(
                str(person.pk)
            ) or request.session.get("population_last_purpose")
        if came_from:
            initial["dossier_ref"] = came_from.get("dossier_ref", "")
            initial["reason"] = came_from.get("reason", "")
            chosen = next((a for a in agencies if str(a.pk) == came_from.get("agency")), None)
            if chosen is not None:
                initial["agency"] = chosen.code
        form = PurposeForm(initial=initial, agencies=agencies)
    return render(
        request,
        "backoffice/population/purpose.html",
        {
            "form": form,
            "person": person,
            "prefilled": bool(came_from),
            "expired": request.GET.get("again") == "expired",
            "grant_minutes": GRANT_SECONDS // 60,
        },
    )


# --- 3. The person page ----------------------------------------------------------------


def _version_rows(versions: list[PersonVersion], names: _Names, current: dict):
    """Each change, newest first: who, when, why, and each field's old and new value."""
    data_after = {}
    following = current
    for version in versions:  # newest first
        data_after[version.version] = following
        following = version.data
    rows = []
    for version in versions:
        after = data_after[version.version]
        rows.append(
            {
                "version": version,
                "changes": [
                    {
                        "label": _field_label(field),
                        "old": names.show(field, version.data.get(field)),
                        "new": names.show(field, after.get(field)),
                    }
                    for field in version.changed_fields
                    if field in PERSON_FIELDS
                ],
            }
        )
    return rows


@staff_required
@require_http_methods(["GET"])
def population_person(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    agencies = _require_agencies(request)
    grant, agency = _grant_for(request, person_id, agencies)
    if grant is None:
        if str(person_id) in request.session.get(GRANTS_SESSION_KEY, {}):
            return _to_purpose_page(person_id, again="expired")
        return _to_purpose_page(person_id)
    try:
        person = selectors.person_detail(person_id)
    except Person.DoesNotExist as exc:
        raise Http404 from exc
    if grant.get("logged"):
        # The purpose was just stated and logged: this view is that read.
        grants = request.session.get(GRANTS_SESSION_KEY, {})
        grants[str(person_id)] = {**grant, "logged": False}
        request.session[GRANTS_SESSION_KEY] = grants
    else:
        _log_read(request, person, grant, agency)

    households = []
    for membership in person.active_memberships:
        household = membership.household
        households.append(
            {
                "membership": membership,
                "household": household,
                "relation": RELATION_LABELS.get(membership.relation, membership.relation),
                "members": [
                    {
                        "membership": member,
                        "person": member.person,
                        "relation": RELATION_LABELS.get(member.relation, member.relation),
                    }
                    for member in selectors.household_members(household)
                ],
            }
        )
    past_memberships = [
        {"membership": m, "relation": RELATION_LABELS.get(m.relation, m.relation)}
        for m in HouseholdMembership.objects.filter(person=person, end_date__isnull=False)
        .select_related("household__unit__parent")
        .order_by("-start_date")
    ]
    versions = list(
        PersonVersion.objects.filter(person=person)
        .select_related("changed_by")
        .order_by("-version")[:VERSIONS_SHOWN]
    )
    current = population.person_snapshot(person)

    as_of_form = AsOfForm(request.GET if "as_of" in request.GET else None)
    snapshot = None
    as_of_day = None
    if as_of_form.is_bound and as_of_form.is_valid():
        as_of_day = as_of_form.cleaned_data["as_of"]
        snapshot = population.person_as_of(person, _end_of_day(as_of_day))

    names = _Names([current, *(v.data for v in versions), *([snapshot] if snapshot else [])])
    snapshot_rows = None
    if snapshot is not None:
        snapshot_rows = [
            {
                "label": _field_label(field),
                "value": names.show(field, snapshot.get(field)),
                "changed": snapshot.get(field) != current.get(field),
                "now": names.show(field, current.get(field)),
            }
            for field in PERSON_FIELDS
        ]

    return render(
        request,
        "backoffice/population/person.html",
        {
            "person": person,
            "agency": agency,
            "grant": grant,
            "grant_expires": dt.datetime.fromtimestamp(grant["expires"], tz=dt.UTC),
            "households": households,
            "past_memberships": past_memberships,
            "children": list(selectors.children_of(person)),
            "version_rows": _version_rows(versions, names, current),
            "pending_corrections": list(
                CorrectionRequest.objects.filter(
                    person=person, status=CorrectionRequest.Status.PENDING
                )
                .select_related("requested_by")
                .order_by("requested_at")
            ),
            "as_of_form": as_of_form,
            "as_of_day": as_of_day,
            "as_of_requested": as_of_form.is_bound and as_of_form.is_valid(),
            "snapshot_rows": snapshot_rows,
            "can_decide": bool(permissions.agencies_with_roles(request.user, DECIDING_ROLES)),
        },
    )


# --- 4. Corrections (four eyes) ----------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def correction_new(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    agencies = _require_agencies(request)
    grant, agency = _grant_for(request, person_id, agencies)
    # A request typed while the 15 minutes ran out is still accepted (nothing
    # typed is lost): sending it reads nothing, and the record was opened with
    # a stated purpose in this session.
    opened_earlier = str(person_id) in request.session.get(GRANTS_SESSION_KEY, {})
    if grant is None and not (request.method == "POST" and opened_earlier):
        return _to_purpose_page(person_id)
    person = get_object_or_404(
        Person.objects.select_related("father", "mother", "spouse"), pk=person_id
    )
    if request.method == "POST":
        form = CorrectionForm(request.POST, request.FILES, person=person)
        if form.is_valid():
            try:
                population.correction_request_create(
                    person=person,
                    requested_by=request.user,
                    changes=form.changes(),
                    reason=form.cleaned_data["reason"],
                    document=form.cleaned_data.get("document"),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "Your correction request was sent. Another officer will check it; "
                        "the record changes only when they approve it."
                    ),
                )
                return redirect("backoffice:population-person", person_id=person.pk)
    else:
        form = CorrectionForm(person=person)
        _log_read(request, person, grant, agency)
    return render(
        request,
        "backoffice/population/correction_form.html",
        {"form": form, "person": person},
    )


@staff_required
@require_http_methods(["GET"])
def correction_queue(request: HttpRequest) -> HttpResponse:
    agencies = _require_agencies(request, DECIDING_ROLES)
    allowed = permissions.jurisdiction_units(agencies)
    pending = list(
        CorrectionRequest.objects.filter(status=CorrectionRequest.Status.PENDING)
        .filter(Q(person__permanent_unit__in=allowed) | Q(person__current_unit__in=allowed))
        .select_related("person__permanent_unit__parent", "requested_by")
        .order_by("requested_at")[:QUEUE_LIMIT]
    )
    rows = [
        {
            "request": item,
            "fields": [_field_label(f) for f in item.changes if f in PERSON_FIELDS],
            "mine": item.requested_by_id == request.user.pk,
        }
        for item in pending
    ]
    return render(
        request,
        "backoffice/population/corrections.html",
        {"rows": rows, "limit_reached": len(pending) >= QUEUE_LIMIT},
    )


def _correction_for(request: HttpRequest, pk: uuid.UUID):
    """The request and the deciding agency (None for the requester, who may look
    but not decide). Anyone else gets 403."""
    population_agencies = _require_agencies(request)
    correction = get_object_or_404(
        CorrectionRequest.objects.select_related(
            "person__permanent_unit__parent",
            "person__current_unit__parent",
            "requested_by",
            "decided_by",
        ),
        pk=pk,
    )
    deciding = permissions.agency_covering(
        permissions.agencies_with_roles(request.user, DECIDING_ROLES), correction.person
    )
    if deciding is None and correction.requested_by_id != request.user.pk:
        raise PermissionDenied
    return correction, deciding, population_agencies


@staff_required
@require_http_methods(["GET", "POST"])
def correction_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    correction, deciding, population_agencies = _correction_for(request, pk)
    person = correction.person
    is_requester = correction.requested_by_id == request.user.pk
    is_pending = correction.status == CorrectionRequest.Status.PENDING
    form = None
    if is_pending and deciding is not None:
        form = DecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                population.correction_decide(
                    request=correction,
                    officer=request.user,
                    approve=form.approve,
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("The correction was approved and the record was changed.")
                    if form.approve
                    else _("The correction was rejected. The record was not changed."),
                )
                return redirect("backoffice:population-corrections")

    agency = (
        deciding
        or permissions.agency_covering(population_agencies, person)
        or population_agencies[0]
    )
    population.access_log_write(
        person=person,
        channel=AccessLog.Channel.STAFF_UI,
        actor=request.user,
        agency=agency,
        purpose=PURPOSE_CORRECTION,
        dossier_ref=f"CR-{str(correction.pk)[:8]}",
    )
    current = population.person_snapshot(person)
    names = _Names([current, correction.changes])
    rows = [
        {
            "label": _field_label(field),
            "current": names.show(field, current.get(field)),
            "proposed": names.show(field, value),
        }
        for field, value in correction.changes.items()
        if field in PERSON_FIELDS
    ]
    return render(
        request,
        "backoffice/population/correction_detail.html",
        {
            "correction": correction,
            "person": person,
            "rows": rows,
            "decision_form": form,
            "is_requester": is_requester,
            "is_pending": is_pending,
            "document_name": os.path.basename(correction.document.name)
            if correction.document
            else "",
        },
    )


@staff_required
@require_http_methods(["GET"])
def correction_document(request: HttpRequest, pk: uuid.UUID) -> FileResponse:
    correction, _deciding, _agencies = _correction_for(request, pk)
    if not correction.document:
        raise Http404
    try:
        handle = correction.document.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    name = os.path.basename(correction.document.name)
    response = FileResponse(
        handle,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        filename=name,
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- 5. Level-2 identity check at the counter ----------------------------------------------


def _identity_lookup(request: HttpRequest, form: IdentityFindForm):
    """The account and the record named by a valid find form; errors go on the form."""
    email, id_number = form.cleaned_data["email"], form.cleaned_data["id_number"]
    account = User.objects.filter(email__iexact=email).first()
    person = (
        Person.objects.filter(id_number=id_number).select_related("permanent_unit__parent").first()
    )
    if account is None:
        form.add_error(
            "email", _("No account uses this email address. Check the spelling with the citizen.")
        )
    elif account.pk == request.user.pk:
        form.add_error("email", _("You cannot check your own identity. Ask a colleague to do it."))
    if person is None:
        form.add_error(
            "id_number", _("No record has this personal ID number. Check it against the card.")
        )
    if form.errors:
        return None, None
    return account, person


@staff_required
@require_http_methods(["GET", "POST"])
def identity_check(request: HttpRequest, code: str) -> HttpResponse:
    """Step 1: the account (by email) and the record (by the number on the card).
    Step 2: compare the summary with the card, tick, confirm."""
    agency = permissions.agency_for(request.user, code, [Role.CLERK])
    account = person = confirm_form = None
    find_form = IdentityFindForm(request.POST if request.method == "POST" else None)
    if find_form.is_bound and find_form.is_valid():
        account, person = _identity_lookup(request, find_form)
    if account is not None:
        if request.POST.get("step") == "confirm":
            confirm_form = IdentityConfirmForm(request.POST)
            if confirm_form.is_valid():
                try:
                    population.identity_link_verify_at_counter(
                        clerk=request.user, agency=agency, user=account, person=person
                    )
                except DomainError as exc:
                    confirm_form.add_error(None, exc.message)
                else:
                    messages.success(
                        request,
                        _(
                            "Identity checked. The account %(email)s is now linked to the record "
                            "of %(name)s at level 2."
                        )
                        % {"email": account.email, "name": person.full_name},
                    )
                    return redirect("backoffice:identity-check", code=agency.code)
        else:
            confirm_form = IdentityConfirmForm(
                initial={"email": account.email, "id_number": person.id_number}
            )
        population.access_log_write(
            person=person,
            channel=AccessLog.Channel.STAFF_UI,
            actor=request.user,
            agency=agency,
            purpose=PURPOSE_IDENTITY_CHECK,
        )
    link = getattr(account, "identity", None) if account is not None else None
    return render(
        request,
        "backoffice/population/identity_check.html",
        {
            "agency": agency,
            "find_form": find_form,
            "confirm_form": confirm_form,
            "account": account,
            "person": person,
            "link": link,
        },
    )


urlpatterns = [
    path("population/", population_search, name="population-search"),
    path(
        "population/persons/<uuid:person_id>/",
        population_person,
        name="population-person",
    ),
    path(
        "population/persons/<uuid:person_id>/purpose/",
        population_purpose,
        name="population-purpose",
    ),
    path(
        "population/persons/<uuid:person_id>/correction/",
        correction_new,
        name="population-correction-new",
    ),
    path("population/corrections/", correction_queue, name="population-corrections"),
    path(
        "population/corrections/<uuid:pk>/",
        correction_detail,
        name="population-correction",
    ),
    path(
        "population/corrections/<uuid:pk>/document/",
        correction_document,
        name="population-correction-document",
    ),
    path("agencies/<str:code>/identity/", identity_check, name="identity-check"),
]
