"""The OpenAPI description of the agency API: the answer's fields (each says
which purposes include it), the errors, and the two API-key schemes.

The serializers here document; they do not serialise (``serialisation``
builds the answer).
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from citizens.agency_api.auth import AgencyApiKeyAuthentication, AgencySystemAuthentication
from citizens.agency_api.purposes import PURPOSES
from citizens.agency_api.serialisation import FIELDS
from citizens.models import AdministrativeUnit, Person, Sex
from egov.errors import ErrorSerializer


def _purposes_with(field: str) -> str:
    codes = [code for code, purpose in PURPOSES.items() if field in purpose.fields]
    return "Included for purposes: " + ", ".join(f"`{code}`" for code in codes) + "."


def _doc(field: str, text: str) -> str:
    return f"{text} {_purposes_with(field)}"


class AgencyUnitSerializer(serializers.Serializer):
    era = serializers.ChoiceField(AdministrativeUnit.Era.choices)
    code = serializers.CharField(help_text="Code of the ward/commune (or province).")
    name = serializers.CharField()


class AgencyHouseholdMemberSerializer(serializers.Serializer):
    id_number = serializers.CharField()
    relation = serializers.CharField(help_text="Relation to the head of household, e.g. `child`.")


def _text(field: str, text: str, **kwargs) -> serializers.CharField:
    return serializers.CharField(required=False, help_text=_doc(field, text), **kwargs)


class AgencyPersonSerializer(serializers.Serializer):
    """Documentation only: an answer holds exactly the fields of the key's purpose."""

    id_number = _text("id_number", "Personal ID number (12 digits).")
    full_name = _text("full_name", "Full name.")
    birth_date = serializers.DateField(required=False, help_text=_doc("birth_date", "Born on."))
    sex = serializers.ChoiceField(Sex.choices, required=False, help_text=_doc("sex", "Sex."))
    status = serializers.ChoiceField(
        Person.Status.choices, required=False, help_text=_doc("status", "Record status.")
    )
    death_date = serializers.DateField(
        required=False, allow_null=True, help_text=_doc("death_date", "Died on (null if living).")
    )
    ethnicity = _text("ethnicity", "Ethnic group code (01-54, General Statistics Office).")
    nationality = _text("nationality", "Nationality.")
    birth_place = _text("birth_place", "Place of birth.")
    native_place = _text("native_place", "Native place (quê quán).")
    permanent_address = _text("permanent_address", "Permanent residence address.")
    permanent_unit = AgencyUnitSerializer(
        required=False,
        allow_null=True,
        help_text=_doc("permanent_unit", "Administrative unit of the permanent residence."),
    )
    current_address = _text("current_address", "Current residence address.")
    current_unit = AgencyUnitSerializer(
        required=False,
        allow_null=True,
        help_text=_doc("current_unit", "Administrative unit of the current residence."),
    )
    household_number = _text(
        "household_number",
        "Number of the household the person has permanent residence in (null if none).",
        allow_null=True,
    )
    household_members = AgencyHouseholdMemberSerializer(
        many=True,
        required=False,
        help_text=_doc("household_members", "The household's current permanent members."),
    )
    health_insurance_number = _text("health_insurance_number", "Health-insurance number.")
    father_id_number = _text(
        "father_id_number", "Father's ID number (null if not in the database).", allow_null=True
    )
    father_name = _text("father_name", "Father's full name.")
    mother_id_number = _text(
        "mother_id_number", "Mother's ID number (null if not in the database).", allow_null=True
    )
    mother_name = _text("mother_name", "Mother's full name.")
    spouse_id_number = _text(
        "spouse_id_number", "Spouse's ID number (null if not in the database).", allow_null=True
    )
    spouse_name = _text("spouse_name", "Spouse's full name.")


assert set(AgencyPersonSerializer().fields) == set(FIELDS), "document every field"


class AgencyWhoAmISerializer(serializers.Serializer):
    agency_code = serializers.CharField()
    agency_name = serializers.CharField()
    credential_name = serializers.CharField()
    purpose = serializers.ChoiceField(list(PURPOSES))
    purpose_label = serializers.CharField()
    fields = serializers.ListField(
        child=serializers.CharField(), help_text="The fields a person lookup answers with."
    )


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


AUTH_ERRORS = {
    401: error_response("`invalid_credentials`: the Api-Key is absent, wrong or revoked."),
    429: error_response("`throttled`: too many requests for this key; see `Retry-After`."),
}


# --- Authentication schemes ---------------------------------------------------------


class AgencyApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = AgencyApiKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <prefix>.<secret>`, issued to an agency's system "
            "for one purpose (`manage.py issue_agency_key`).",
        }


class AgencySystemScheme(OpenApiAuthenticationExtension):
    target_class = AgencySystemAuthentication
    name = "AgencySystemKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <prefix>.<secret>` of a one-stop key (`manage.py "
            "issue_agency_key --purpose one_stop --role clerk|officer|head`): an agency's "
            "own software working its dossiers in that role.",
        }
