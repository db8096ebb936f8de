"""Every machine-readable error code the portal answers with, in one enum.

An API error is ``{"code": ..., "message": ..., "data": ...}``
(``egov.errors.api_exception_handler``). ``code`` is one of ``ErrorCode``: a
client may rely on it, the message is for people and is translated. A
``DomainError`` refuses a code that is not here, so a new code is added here,
with what it means (it is documented in the OpenAPI schema as ``ErrorCode``).
The first group are the generic codes (ours and Django REST framework's).
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    description: str

    def __new__(cls, value: str, description: str = "") -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member

    ERROR = "error", "The request could not be completed (a generic domain error)."
    INVALID = (
        "invalid",
        "Some of the information is not valid; `data` names each field and its problems.",
    )
    FORBIDDEN = "forbidden", "The account may not do this."
    NOT_FOUND = (
        "not_found",
        "Nothing of this kind exists, or the account may not see it (the same answer for both).",
    )
    CONFLICT = "conflict", "The action is not possible in the current state."
    THROTTLED = "throttled", "Too many requests; retry after the `Retry-After` header's seconds."
    NOT_AUTHENTICATED = "not_authenticated", "Sign in, or send the credentials this endpoint needs."
    AUTHENTICATION_FAILED = "authentication_failed", "The credentials sent are wrong or expired."
    PERMISSION_DENIED = "permission_denied", "The account may not do this (DRF's permission check)."
    METHOD_NOT_ALLOWED = "method_not_allowed", "This HTTP method is not offered here."
    NOT_ACCEPTABLE = "not_acceptable", "No representation in the format asked for."
    UNSUPPORTED_MEDIA_TYPE = (
        "unsupported_media_type",
        "The request body's media type is not accepted.",
    )
    PARSE_ERROR = "parse_error", "The request body could not be read."
    AGENCY_INACTIVE = "agency_inactive", "The agency of the credential is not active."
    ALREADY_DECIDED = "already_decided", "The correction request was decided already."
    ALREADY_DELIVERED = (
        "already_delivered",
        "The notice was sent on every channel already: there is nothing to resend.",
    )
    ALREADY_HANDLED = "already_handled", "The failure was marked handled already."
    ALREADY_LINKED = "already_linked", "The account is linked to a population record already."
    ALREADY_RATED = "already_rated", "The dossier was rated already (once per dossier)."
    ALREADY_REPLACED = "already_replaced", "The result document was replaced already."
    ALREADY_REVOKED = "already_revoked", "The result document was revoked already."
    ANSWERS_MISSING = (
        "answers_missing",
        "Answers the procedure needs are missing; `data` lists them.",
    )
    BAD_DECISION = "bad_decision", "A proposal must be to approve or to reject."
    BAD_KIND = "bad_kind", "The document kind is not one the wallet keeps."
    BAD_NEW_DATE = "bad_new_date", "An apology's new date must be later than the promised date."
    BAD_START_DATE = "bad_start_date", "The start date is not valid for this household membership."
    BIRTH_DATE_MISSING = "birth_date_missing", "The dossier has no date of birth."
    CARD_NUMBER_TAKEN = (
        "card_number_taken",
        "The health-insurance card number belongs to another person.",
    )
    CHILD_NOT_FOUND = (
        "child_not_found",
        "No child with this personal ID number in the population database.",
    )
    DECLARATION_REQUIRED = "declaration_required", "Confirm the declaration before sending."
    DOCUMENT_IN_USE = (
        "document_in_use",
        "The wallet document is attached to a dossier and cannot be removed.",
    )
    DOCUMENT_NOT_FOUND = "document_not_found", "No issued document has this verification code."
    DOCUMENT_UNKNOWN = "document_unknown", "The document is not one the procedure asks for."
    DOCUMENTS_MISSING = "documents_missing", "Mandatory documents are missing; `data` lists them."
    DRAFT_IN_USE = "draft_in_use", "A payment was made for the draft: it cannot be deleted."
    DUPLICATE = (
        "duplicate",
        "The request repeats a registration or dossier that exists (certain duplicate).",
    )
    DUPLICATE_DECISION_REQUIRED = (
        "duplicate_decision_required",
        "A likely duplicate: approving needs the head's decision (`duplicate_decision`) and a reason.",
    )
    FEE_UNPAID = "fee_unpaid", "The fee must be paid before the dossier is received."
    FILE_CORRUPT = "file_corrupt", "The file cannot be read as the type it claims."
    FILE_EMPTY = "file_empty", "The file is empty."
    FILE_TOO_LARGE = "file_too_large", "The file is larger than the limit."
    FILE_TYPE = "file_type", "The file is not a PDF, JPEG or PNG."
    FOUR_EYES = (
        "four_eyes",
        "A correction (or a destruction list) must be decided by another official than the "
        "one who asked for it (or proposed it).",
    )
    HANDLER_UNAVAILABLE = (
        "handler_unavailable",
        "The procedure's handler is not installed: it cannot be filed or decided here.",
    )
    HANDOFFS_PENDING = (
        "handoffs_pending",
        "The agencies the dossier was handed on to have not all finished.",
    )
    ID_NUMBER_TAKEN = "id_number_taken", "The personal ID number belongs to another record."
    IDENTITY_LEVEL = "identity_level", "The account's identity level is too low for this procedure."
    INVALID_DIRECTION = "invalid_direction", "The catalog order can only move up or down."
    INVALID_DOSSIER_REF = (
        "invalid_dossier_ref",
        "The dossier reference sent to the agency API is not valid.",
    )
    INVALID_ID_NUMBER = (
        "invalid_id_number",
        "The personal ID number is not valid; `data` says which part.",
    )
    INVALID_REASON = "invalid_reason", "The reason sent to the agency API is not valid."
    ID_FORMAT = "id_format", "A personal ID number has 12 digits."
    ID_PROVINCE = (
        "id_province",
        "The personal ID number's first three digits are not a province code.",
    )
    ID_CENTURY_SEX = (
        "id_century_sex",
        "The personal ID number's fourth digit does not match the sex and the century of birth.",
    )
    ID_BIRTH_YEAR = (
        "id_birth_year",
        "The personal ID number's birth-year digits do not match the date of birth.",
    )
    FUTURE_DATE = "future_date", "The date is in the future."
    INVALID_TRANSITION = "invalid_transition", "The step is not possible from the dossier's status."
    ISSUED_DOCUMENT = "issued_document", "An issued result cannot be removed from the wallet."
    ITEM_MISSING = "item_missing", "A listed missing document was not supplied."
    ITEMS_REQUIRED = "items_required", "List everything that is missing."
    LIST_DECIDED = (
        "list_decided",
        "The destruction list was approved or rejected already: it cannot change.",
    )
    LIST_NOT_APPROVED = (
        "list_not_approved",
        "Only the dossiers of an approved destruction list are destroyed.",
    )
    LINK_FAILED = "link_failed", "The account could not be linked to a population record."
    LINK_LOCKED = "link_locked", "Too many failed link attempts: linking is locked for a while."
    LINKED_ELSEWHERE = "linked_elsewhere", "The account is linked to another record."
    NAME_REQUIRED = "name_required", "A name is required."
    NO_AGENCY = "no_agency", "No agency offers the procedure."
    NO_CHANGES = "no_changes", "The correction changes nothing."
    NO_DOCUMENT = "no_document", "No such document in the wallet."
    NO_PROVINCE = "no_province", "The province of the registering agency is not known."
    NO_SUPPLEMENT_REQUESTED = "no_supplement_requested", "No request for missing documents is open."
    NOT_A_RESULT = "not_a_result", "Only an issued result can be managed this way."
    NOT_AN_OFFICER = "not_an_officer", "Choose an officer of this agency."
    NOT_APPLICABLE = "not_applicable", "The step does not apply to this dossier."
    NOT_DRAFT = "not_draft", "The dossier is not a draft any more."
    NOT_FAILED = "not_failed", "Only a failed handoff can be retried."
    NOT_LIVING = "not_living", "The record is of a person who is not living."
    NOT_ONLINE = "not_online", "The procedure cannot be filed online."
    NOT_PAYABLE = "not_payable", "The dossier has nothing to pay online."
    NOT_RETRYABLE = (
        "not_retryable",
        "This failure cannot be retried from here (nothing left to redo, or not this kind).",
    )
    NOT_RETURNED = "not_returned", "Only a returned dossier can be rated."
    NOTHING_SUPPLIED = "nothing_supplied", "Nothing was supplied."
    PARENT_NOT_FOUND = (
        "parent_not_found",
        "No parent with this personal ID number in the population database.",
    )
    PAYMENT_REQUIRED = "payment_required", "The fee must be paid online before the dossier is sent."
    PERSON_NOT_FOUND = "person_not_found", "No person with this personal ID number."
    PURPOSE_REQUIRED = "purpose_required", "Say why the record is read (a purpose)."
    REASON_REQUIRED = "reason_required", "Give a reason."
    RECORD_LINKED_ELSEWHERE = "record_linked_elsewhere", "The record is linked to another account."
    RESIDENCE_DATA_MISSING = (
        "residence_data_missing",
        "The data for the residence registration is incomplete.",
    )
    RESULT_NOT_ONLINE = "result_not_online", "The result is handed over at the desk, not online."
    ROLE_REQUIRED = "role_required", "The credential's role is required."
    STAFF_TOKEN = "staff_token", "Staff accounts cannot use API tokens."
    STALE_VERSION = "stale_version", "The catalog entry changed meanwhile: reload and try again."
    TOO_MANY_ATTEMPTS = "too_many_attempts", "Too many payment attempts for the dossier."
    UNKNOWN_ACTION = "unknown_action", "There is no such step."
    UNKNOWN_FIELD = "unknown_field", "The field cannot be corrected."
    UNKNOWN_PROVIDER = "unknown_provider", "There is no such payment provider."
    UNKNOWN_PURPOSE = "unknown_purpose", "There is no such purpose."
    WALLET_KIND = "wallet_kind", "The wallet document is not of the kind asked for."
    WALLET_NOT_ACCEPTED = (
        "wallet_not_accepted",
        "The procedure does not accept this document from the wallet.",
    )


def describe() -> str:
    """The codes as a Markdown list (for the OpenAPI schema's description)."""
    return "\n".join(f"- `{c.value}`: {c.description}" for c in ErrorCode)
