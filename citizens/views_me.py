"""The citizen's own space: linking, my record, my children's records, corrections.

A citizen sees their own record (their reads are not logged: they are the
data subject) and, as a parent, the records of their minor children (those
reads are logged, channel GUARDIAN). Anything else answers 404, revealing
nothing about whether a record exists.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from citizens import population, selectors
from citizens.forms_me import CorrectionForm, LinkForm, describe_changes
from citizens.models import (
    AccessLog,
    CorrectionRequest,
    HouseholdMembership,
    IdentityLink,
    Person,
    StaffMembership,
    User,
)
from citizens.reference import RELATIONS
from egov.errors import ConflictError, DomainError

ACCESS_LOG_PAGE_SIZE = 25
CORRECTIONS_SHOWN = 20
# Stored untranslated in the access log (it is an audit record) and translated
# when shown; gettext_noop puts them in the catalogue.
GUARDIAN_VIEW_PURPOSE = gettext_noop("Parent viewing a minor child's record")
GUARDIAN_CORRECTION_PURPOSE = gettext_noop(
    "Parent preparing a correction request for a minor child's record"
)
RELATION_LABELS = dict(RELATIONS)


# --- Helpers -----------------------------------------------------------------------


def _link_of(user: User) -> IdentityLink | None:
    return IdentityLink.objects.filter(user=user).first()


def _identity_provider() -> dict[str, str] | None:
    """The national identity provider, when one is configured (identity level 2)."""
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS") or []
    for app in apps:
        if app.get("provider_id") == settings.OIDC_PROVIDER_ID:
            return {"id": app["provider_id"], "name": app.get("name") or app["provider_id"]}
    return None


def _minor_child_or_404(user: User, person_id: uuid.UUID) -> Person:
    """The signed-in parent's living minor child with this id; any other id is 404."""
    link = _link_of(user)
    if link is None:
        raise Http404
    child = selectors.minor_children_of(Person(pk=link.person_id)).filter(pk=person_id).first()
    if child is None:
        raise Http404
    return child


def _households(person: Person) -> list[dict[str, Any]]:
    """The households the person lives in now (permanent first), with their members:
    names, birth years and relation to the head only."""
    memberships = sorted(
        person.active_memberships,
        key=lambda m: (m.residence_type != HouseholdMembership.ResidenceType.PERMANENT,),
    )
    households = []
    for membership in memberships:
        members = [
            {
                "name": m.person.full_name,
                "birth_year": m.person.birth_date.year,
                "relation": RELATION_LABELS.get(m.relation, m.relation),
                "is_self": m.person_id == person.pk,
            }
            for m in selectors.household_members(membership.household)
        ]
        households.append(
            {
                "household": membership.household,
                "membership": membership,
                "relation": RELATION_LABELS.get(membership.relation, membership.relation),
                "members": members,
            }
        )
    return households


def _describe_access(entries: list[AccessLog], viewer: User) -> None:
    """Say who read the record: the agency and the official's role (not their
    personal details), the agency for another agency's system."""
    actor_ids = {e.actor_id for e in entries if e.actor_id and e.actor_id != viewer.pk}
    memberships: dict[Any, list[StaffMembership]] = defaultdict(list)
    if actor_ids:
        for membership in (
            StaffMembership.objects.filter(user_id__in=actor_ids)
            .select_related("agency")
            .order_by("-is_active", "agency__name", "role")
        ):
            memberships[membership.user_id].append(membership)
    for entry in entries:
        held = memberships.get(entry.actor_id, [])
        if entry.agency_id:
            held = [m for m in held if m.agency_id == entry.agency_id]
        roles = list(dict.fromkeys(str(m.get_role_display()) for m in held))
        if entry.actor_id and entry.actor_id == viewer.pk:
            who, detail = _("You"), entry.get_channel_display()
        elif entry.agency_id:
            who = entry.agency.display_name
            detail = ", ".join(roles) if roles else entry.get_channel_display()
        elif held:
            who = ", ".join(dict.fromkeys(m.agency.display_name for m in held))
            detail = ", ".join(roles)
        elif entry.channel == AccessLog.Channel.GUARDIAN and entry.actor_id:
            who, detail = (
                entry.actor.full_name or _("A parent or guardian"),
                _("Parent or guardian"),
            )
        else:
            who, detail = entry.get_channel_display(), ""
        entry.who = who
        entry.who_detail = detail


def _record_context(
    request: HttpRequest, person: Person, *, link_minor_children: bool
) -> dict[str, Any]:
    children = list(selectors.children_of(person))
    minor_ids = set()
    if link_minor_children and children:
        minor_ids = set(selectors.minor_children_of(person).values_list("pk", flat=True))
    log_page = Paginator(selectors.access_log_of(person), ACCESS_LOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    _describe_access(list(log_page.object_list), request.user)
    corrections = list(
        CorrectionRequest.objects.filter(person=person).order_by("-requested_at")[
            : CORRECTIONS_SHOWN + 1
        ]
    )
    for correction in corrections:
        correction.described = describe_changes(correction.changes)
        correction.reference = _correction_reference(correction)
    return {
        "person": person,
        "households": _households(person),
        "children": [{"person": c, "is_minor": c.pk in minor_ids} for c in children],
        "log_page": log_page,
        "corrections": corrections[:CORRECTIONS_SHOWN],
        "more_corrections": len(corrections) > CORRECTIONS_SHOWN,
    }


def _correction_reference(correction: CorrectionRequest) -> str:
    return f"CR-{str(correction.pk)[:8]}"


# --- Linking (identity level 1) --------------------------------------------------------


@login_required
def link(request: HttpRequest) -> HttpResponse:
    """Link the account to a population record by ID number, full name and date of birth.

    A wrong answer is the same whether or not the number exists; repeated
    failures lock the account (and the address) out for a while.
    """
    if _link_of(request.user) is not None:
        messages.info(request, _("Your account is already linked to your population record."))
        return redirect("me:record")
    form = LinkForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            population.identity_link_self(
                user=request.user,
                id_number=form.cleaned_data["id_number"],
                full_name=form.cleaned_data["full_name"],
                birth_date=form.cleaned_data["birth_date"],
                ip=get_adapter(request).get_client_ip(request),
            )
        except (population.LinkFailed, population.LinkLocked) as exc:
            form.add_error(None, exc.message)
        except ConflictError:  # linked meanwhile, e.g. in another tab
            return redirect("me:record")
        else:
            messages.success(
                request,
                _("Your account is now linked to your population record (identity level 1)."),
            )
            return redirect("me:record")
    return render(
        request,
        "citizens/record/link.html",
        {"form": form, "identity_provider": _identity_provider()},
    )


# --- Records -----------------------------------------------------------------------


@login_required
def my_record(request: HttpRequest) -> HttpResponse:
    """The citizen's own record, household, family, who looked at it, corrections."""
    link = _link_of(request.user)
    if link is None:
        return render(request, "citizens/record/not_linked.html")
    person = selectors.person_detail(link.person_id)
    context = _record_context(request, person, link_minor_children=True)
    context.update(link=link, identity_provider=_identity_provider())
    return render(request, "citizens/record/mine.html", context)


@login_required
def child_record(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """A minor child's record, seen by a linked parent; the read is logged."""
    child = _minor_child_or_404(request.user, person_id)
    population.access_log_write(
        person=child,
        channel=AccessLog.Channel.GUARDIAN,
        actor=request.user,
        purpose=GUARDIAN_VIEW_PURPOSE,
    )
    person = selectors.person_detail(child.pk)
    context = _record_context(request, person, link_minor_children=False)
    return render(request, "citizens/record/child.html", context)


# --- Corrections -------------------------------------------------------------------


def _correction(request: HttpRequest, person: Person, *, child: bool) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = CorrectionForm(data, files, person=person)
    if request.method == "POST":
        if form.is_valid():
            try:
                correction = population.correction_request_create(
                    person=person,
                    requested_by=request.user,
                    changes=form.changes(),
                    reason=form.cleaned_data["reason"],
                    document=form.cleaned_data["document"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("me:correction_sent", request_id=correction.pk)
        form.note_file_not_kept()
    back_url = reverse("me:child", args=[person.pk]) if child else reverse("me:record")
    return render(
        request,
        "citizens/record/correction_form.html",
        {"form": form, "person": person, "child": child, "back_url": back_url},
    )


@login_required
def my_correction(request: HttpRequest) -> HttpResponse:
    """Ask for a correction of one's own record."""
    link = _link_of(request.user)
    if link is None:
        return redirect("me:link")
    return _correction(request, selectors.person_detail(link.person_id), child=False)


@login_required
def child_correction(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """A parent asks for a correction of a minor child's record (acting for them)."""
    child = _minor_child_or_404(request.user, person_id)
    if request.method == "GET":  # the form shows the child's current details
        population.access_log_write(
            person=child,
            channel=AccessLog.Channel.GUARDIAN,
            actor=request.user,
            purpose=GUARDIAN_CORRECTION_PURPOSE,
        )
    return _correction(request, selectors.person_detail(child.pk), child=True)


@login_required
def correction_sent(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """Confirmation of a correction request made by the signed-in account."""
    correction = (
        CorrectionRequest.objects.filter(pk=request_id, requested_by=request.user)
        .select_related("person")
        .first()
    )
    if correction is None:
        raise Http404
    link = _link_of(request.user)
    own = link is not None and link.person_id == correction.person_id
    back_url = reverse("me:record") if own else reverse("me:child", args=[correction.person_id])
    return render(
        request,
        "citizens/record/correction_sent.html",
        {
            "correction": correction,
            "reference": _correction_reference(correction),
            "described": describe_changes(correction.changes),
            "own": own,
            "back_url": back_url,
        },
    )


@login_required
def api_token(request: HttpRequest) -> HttpResponse:
    """Create, replace or revoke the token a citizen's own program uses."""
    from rest_framework.authtoken.models import Token

    from citizens.api_auth import api_token_issue, api_token_revoke

    new_key = None
    error = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            api_token_revoke(user=request.user)
            messages.success(request, _("Your API token no longer works."))
            return redirect("me:api-token")
        try:
            new_key = api_token_issue(user=request.user)
        except DomainError as exc:
            error = exc.message
    token = Token.objects.filter(user=request.user).first()
    return render(
        request,
        "citizens/record/api_token.html",
        {"token": token, "new_key": new_key, "error": error},
        status=403 if error else 200,
    )


urlpatterns = [
    path("api-token/", api_token, name="api-token"),
    path("link/", link, name="link"),
    path("record/", my_record, name="record"),
    path("record/correction/", my_correction, name="correction"),
    path("children/<uuid:person_id>/", child_record, name="child"),
    path("children/<uuid:person_id>/correction/", child_correction, name="child_correction"),
    path("corrections/<uuid:request_id>/", correction_sent, name="correction_sent"),
]
