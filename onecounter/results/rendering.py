"""Rendering the results of a decided dossier, as its handler describes them.

When a decided dossier's result is made ready (``tasks.after_event`` on
``mark_result_ready``), each result its handler's ``results`` names
(``procedures.handlers.registry.ResultSpec``; ``specs``) is rendered once,
keyed by its name, so the wallet can file it under the spec's kind. Each gets a
token, a number in the spec's series, an issuer and a holder when first issued
(``verification.document_mark_issued``, through the slips machinery's
``prepare`` hook, in the transaction that stores its PDF), and carries a QR code
to its public verification page.

A result may be about a dossier handed on between agencies (interconnect): the
residence confirmation and the health-insurance card of a birth are decided by
the ward police and social insurance in their own dossiers. The core does not
know the interconnection: ``result_sources`` announces ``ResultSourcing`` and
the interconnection answers with the dossier whose decision made the result,
the dossier it was handed on from, the issuer and what was handed on. The
handler's ``context`` function then sees these as a neutral ``ResultSources``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.utils import timezone

from citizens.models import Agency, Person
from egov import events
from egov.vietnamese import format_date, place_date, sex_text
from onecounter.events import ResultSource, ResultSourcing
from onecounter.models import Dossier, DossierDocument, DossierEvent
from onecounter.results import verification
from onecounter.results.specs import result_name, result_specs, spec_of
from onecounter.slips import pdf
from onecounter.slips.documents import SlipForm, issue, load, render, slip_form
from procedures.handlers.registry import DECISION, ResultSources, ResultSpec, SourceDossier

Kind = DossierDocument.Kind

# The frame of every result; a spec's template and title replace its own.
FORM = SlipForm("", DECISION.title, "slips/result.html")

# Who signs, by kind of agency (the document's signature block).
SIGNER_TITLES = {
    "peoples_committee": ("TM. Ủy ban nhân dân", "Chủ tịch"),
    "police": ("", "Trưởng Công an"),
    "social_insurance": ("", "Giám đốc"),
}
DEFAULT_SIGNER_TITLE = ("", "Thủ trưởng cơ quan")


def result_form() -> SlipForm:
    return slip_form(Kind.RESULT, FORM)


# --- Issuing -------------------------------------------------------------------------------


def render_for_event(event: DossierEvent) -> list[DossierDocument]:
    """The results a step issues (``mark_result_ready``), each rendered once.
    Safe to call again."""
    if event.action != "mark_result_ready":
        return []
    return render_results(load(event.dossier_id))


def render_results(dossier: Dossier) -> list[DossierDocument]:
    """The dossier's result documents, each rendered once. Safe to call again."""
    dossier = load(dossier.pk)
    return [render_result(dossier, spec.name) for spec in result_specs(dossier)]


def render_result(
    dossier: Dossier, name: str, *, replaces: DossierDocument | None = None
) -> DossierDocument:
    """The result ``name`` of the dossier (keyed ``name``), rendered once.
    ``replaces``: the document it supersedes (see services.document_replace)."""
    spec = spec_of(dossier.procedure, name)
    document = issue(
        dossier,
        Kind.RESULT,
        spec.name,
        lambda document: _context(document, dossier, spec, replaces=replaces),
        form=result_form(),
        title=spec.title,
        prepare=lambda document: _mark_issued(document, dossier, spec),
    )
    if document.title == result_form().title and spec.title != document.title:
        # A row made before results had their own titles: name it after the result.
        DossierDocument.objects.filter(pk=document.pk).update(title=spec.title)
        document.title = spec.title
    return document


def rerender_result(document: DossierDocument) -> DossierDocument:
    """Render an issued result again, in a new file (its token, number and date
    of issue stay). The caller holds the row lock (services.document_rerender)."""
    dossier = load(document.dossier_id)
    spec = spec_of(dossier.procedure, result_name(document))
    if document.title:
        spec = dataclasses.replace(spec, title=document.title)
    replaces = DossierDocument.objects.filter(replaced_by=document).first()
    render(
        document,
        dossier,
        result_form(),
        lambda document: _context(document, dossier, spec, replaces=replaces),
        fresh_name=True,
    )
    return document


def _mark_issued(document: DossierDocument, dossier: Dossier, spec: ResultSpec) -> None:
    """Its token, number, issuer and holder: given once, with its first PDF."""
    if document.verify_token:
        return
    found = result_sources(dossier, spec)
    verification.document_mark_issued(
        document, issuer=found.issuer, holder=found.holder, suffix=spec.number_suffix
    )


def _context(
    document: DossierDocument,
    dossier: Dossier,
    spec: ResultSpec,
    *,
    replaces: DossierDocument | None,
) -> dict[str, Any]:
    return {
        **result_context(dossier, spec, replaces=replaces),
        **verification_context(document),
    }


def verification_context(document: DossierDocument) -> dict[str, Any]:
    url = verification.verify_url(document.verify_token)
    day = verification.issued_on(document)
    return {
        "place_date": place_date(day),
        "verification": {
            "number": document.number,
            "url": url,
            "qr": pdf.qr_data_uri(url),
            "issued_text": format_date(day),
        },
    }


# --- Where a result comes from -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Found:
    """The sources of a result as the core holds them (``as_sources``: as the
    handler sees them)."""

    spec: ResultSpec
    dossier: Dossier  # the dossier the result belongs to
    deciding: Dossier  # the dossier whose decision made it
    origin: Dossier | None  # the dossier it was handed on from, if any
    data: dict[str, Any]  # the answers, the deciding dossier's first
    holder: Person | None  # whom it is about
    issuer: Agency  # who issues it

    def as_sources(self) -> ResultSources:
        return ResultSources(
            name=self.spec.name,
            dossier=_source(self.dossier),
            deciding=_source(self.deciding),
            origin=_source(self.origin) if self.origin is not None else None,
            data=self.data,
            holder=self.holder,
            issuer=self.issuer,
        )


def reference(dossier: Dossier) -> str:
    return dossier.code or str(dossier.pk)


def _source(dossier: Dossier) -> SourceDossier:
    return SourceDossier(
        reference=reference(dossier),
        agency=dossier.agency,
        decided_on=timezone.localdate(dossier.decided_at) if dossier.decided_at else None,
    )


def result_sources(dossier: Dossier, spec: ResultSpec) -> Found:
    """The dossier whose decision made the result, the dossier it was handed on
    from, the answers, whom it is about and who issues it."""
    answers = events.publish(ResultSourcing(dossier=dossier, decided_by=spec.decided_by))
    source = next((a for a in answers if isinstance(a, ResultSource)), ResultSource())
    deciding = source.deciding or dossier
    origin = source.origin
    data: dict[str, Any] = {}
    for answers_of in (origin.data if origin else {}, source.payload, dossier.data, deciding.data):
        data.update({k: v for k, v in (answers_of or {}).items() if v not in (None, "")})
    return Found(
        spec=spec,
        dossier=dossier,
        deciding=deciding,
        origin=origin,
        data=data,
        holder=_holder(spec, dossier, deciding, origin, data),
        issuer=source.issuer or deciding.agency,
    )


def _holder(
    spec: ResultSpec,
    dossier: Dossier,
    deciding: Dossier,
    origin: Dossier | None,
    data: dict[str, Any],
) -> Person | None:
    """Whom the result is about: the person the spec's ``holder_answer`` names;
    the record a registration made for it (a child registered by the birth
    dossier the result comes from); the subject of the deciding dossier or of
    this one; the person a handed-on dossier names; else the applicant."""
    number = (data.get(spec.holder_answer) or "").strip() if spec.holder_answer else ""
    holder = Person.objects.filter(id_number=number).first() if number else None
    birth_date = _as_date(data.get("birth_date"))
    if holder is None and birth_date is not None:
        references = {reference(d) for d in (dossier, deciding, origin) if d is not None}
        holder = (
            Person.objects.filter(
                birth_date=birth_date,
                source__startswith="birth:",
                source__in=[f"birth:{r}" for r in references],
            )
            .select_related("mother", "father", "permanent_unit__parent")
            .first()
        )
    holder = holder or deciding.subject_person or dossier.subject_person
    number = (data.get("child_id_number") or data.get("person_id_number") or "").strip()
    if holder is None and number:
        holder = Person.objects.filter(id_number=number).first()
    return holder or dossier.applicant_person


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


# --- What a result says ------------------------------------------------------------------------


def _decision(dossier: Dossier) -> DossierEvent | None:
    return (
        dossier.events.filter(action__in=["approve", "reject"])
        .select_related("actor")
        .order_by("-seq")
        .first()
    )


def holder_lines(holder: Person | None) -> list[tuple[str, str]]:
    if holder is None:
        return []
    return [
        ("Họ và tên", holder.full_name),
        ("Số định danh cá nhân", holder.id_number),
        ("Ngày sinh", format_date(holder.birth_date)),
        ("Giới tính", sex_text(holder.sex)),
    ]


def result_context(
    dossier: Dossier, spec: ResultSpec, *, replaces: DossierDocument | None = None
) -> dict[str, Any]:
    """The generic context of a result (form, issuer, signer, decision, holder
    lines, what it replaces), then what the spec's ``context`` adds."""
    found = result_sources(dossier, spec)
    deciding = found.deciding
    decision = _decision(deciding)
    agency = found.issuer
    form = dataclasses.replace(result_form(), title=spec.title, template=spec.template)
    above, role = SIGNER_TITLES.get(agency.kind, DEFAULT_SIGNER_TITLE)
    context: dict[str, Any] = {
        "form": form,
        "issuer_parent": "",
        "issuer_name": agency.name,
        "issuing_agency": agency,
        "approved": spec.name != "rejection",
        "decision_note": deciding.decision_note,
        "decided_text": format_date(
            timezone.localdate(deciding.decided_at) if deciding.decided_at else None
        ),
        "signer": decision.actor.full_name if decision and decision.actor else "",
        "signer_above": above,
        "signer_role": role,
        "holder_lines": holder_lines(found.holder),
        "replaces": (
            {
                "number": replaces.number,
                "issued_text": format_date(verification.issued_on(replaces)),
            }
            if replaces is not None
            else None
        ),
    }
    if spec.context is not None and found.holder is not None:
        context.update(spec.context(found.as_sources()))
    return context
