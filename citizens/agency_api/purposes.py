"""What each kind of agency key may read, and the purpose check.

A credential names one purpose (``PURPOSES``); a lookup answers with exactly
that purpose's fields, never one outside it (purpose limitation, Law on
Personal Data Protection 2025). A one-stop key (``ONE_STOP_PURPOSE``) works an
agency's dossiers through the staff API and reads no population record here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from citizens.models import AgencyApiCredential


@dataclass(frozen=True)
class Purpose:
    label: Promise | str
    fields: tuple[str, ...]


_IDENTITY = ("id_number", "full_name", "birth_date", "sex", "status")

# What each kind of key may read. A credential names one of these codes; a
# lookup answers with exactly these fields.
PURPOSES: dict[str, Purpose] = {
    "identity_check": Purpose(_("Identity check"), _IDENTITY),
    "residence": Purpose(
        _("Residence registration (police)"),
        (
            *_IDENTITY,
            "permanent_address",
            "permanent_unit",
            "current_address",
            "current_unit",
            "household_number",
            "household_members",
            "father_id_number",
            "mother_id_number",
            "spouse_id_number",
        ),
    ),
    "health_insurance": Purpose(
        _("Health insurance (social insurance)"),
        (
            "id_number",
            "full_name",
            "birth_date",
            "sex",
            "permanent_address",
            "permanent_unit",
            "health_insurance_number",
            "status",
        ),
    ),
    "civil_status": Purpose(
        _("Civil status (justice)"),
        (
            "id_number",
            "full_name",
            "birth_date",
            "sex",
            "ethnicity",
            "nationality",
            "birth_place",
            "native_place",
            "father_name",
            "father_id_number",
            "mother_name",
            "mother_id_number",
            "spouse_name",
            "spouse_id_number",
            "status",
            "death_date",
        ),
    ),
}

# A key for an agency's own one-stop software: it works the agency's dossiers
# through the staff dossier API (/api/v1/back-office/...) in one staff role,
# acting as a system account of its own so every step names who took it.
ONE_STOP_PURPOSE = "one_stop"
ONE_STOP_ROLES = ("clerk", "officer", "head")


def is_known_purpose(purpose: str) -> bool:
    """A purpose a key may be issued for or authenticate with."""
    return purpose in PURPOSES or purpose == ONE_STOP_PURPOSE


def reads_persons(credential: object) -> bool:
    """The purpose check of the person endpoints: a person-lookup key."""
    return isinstance(credential, AgencyApiCredential) and credential.purpose in PURPOSES


class HasAgencyCredential(BasePermission):
    """A person-lookup key (a one-stop key reads no population records here)."""

    def has_permission(self, request: Request, view) -> bool:
        return reads_persons(request.auth)


def purpose_text(credential: AgencyApiCredential, reason: str) -> str:
    """The access-log purpose: the label in the site's language, the code, the reason."""
    text = _purpose_label(credential.purpose, settings.LANGUAGE_CODE)
    return f"{text}: {reason}" if reason else text


@functools.cache
def _purpose_label(purpose: str, language: str) -> str:
    with translation.override(language):
        return f"{PURPOSES[purpose].label} [{purpose}]"
