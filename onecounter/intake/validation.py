"""Checking the answers of an intake against its plan: a page, the whole
dossier (each page's checks, then the handler's ``validate``), what is still
unanswered or missing, and so where a draft resumes.

The checks take the held answers (``onecounter.intake.answers``) and the plan
(``onecounter.intake.plan``), so the online draft (``Dossier.data``) and the
counter intake (answers held in the clerk's session) are checked the same
way. Problems come as ``{key: [messages]}``: a question's key, ``q-<key>`` for
a file question asked on the documents step, ``doc-<id>`` for a required
document, ``page-<n>`` for a page as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext as _

from onecounter.intake.answers import answers_of
from onecounter.intake.plan import DocumentSlot, plan_for
from onecounter.models import Attachment

if TYPE_CHECKING:
    from onecounter.intake.plan import Plan
    from onecounter.models import Dossier


# --- A page ---------------------------------------------------------------------------------


def page_valid(plan: Plan, form: forms.Form) -> bool:
    """Whether a page's form passes its checks; those about documents asked
    on the documents step do not count here (that step has them)."""
    form.is_valid()
    return not plan.question_errors(form)


def page_is_complete(
    plan: Plan, page: int, data: Mapping[str, Any], attached: Iterable[str] = ()
) -> bool:
    """Every question of the page asked given the answers has one, and the
    answers pass the page's checks (those about documents excepted)."""
    hidden = plan.hidden(data)
    if any(name not in data for name in plan.fields_of(page) if name not in hidden):
        return False
    return page_valid(plan, plan.bound(page, data, attached))


def check_changes(
    plan: Plan,
    data: Mapping[str, Any],
    changes: Mapping[str, Any],
    *,
    prefilled: Iterable[str] = (),
    attached: Iterable[str] = (),
) -> tuple[dict[str, list[str]], dict[int, dict[str, Any]]]:
    """Some answers changed at once (the citizen's API): each checked by its
    page's form with the other answers as they are. Refused: a question the
    plan does not ask, one answered from the population database
    (``prefilled``) and one the handler works out itself. Returns the problems
    and, by page, the cleaned values to save (when there are no problems)."""
    prefilled = set(prefilled)
    attached = set(attached)
    errors: dict[str, list[str]] = {}
    cleaned_by_page: dict[int, dict[str, Any]] = {}
    computed = set(getattr(plan.handler, "computed_answers", ()) or ())
    for key in changes:
        if key in computed:
            errors[key] = [_("This answer is worked out by the portal from your other answers.")]
        elif key not in plan.questions:
            errors[key] = [_("There is no such question.")]
        elif key in prefilled:
            errors[key] = [_("This answer comes from the population database.")]
    for page in plan.pages:
        keys = [k for k in plan.fields_of(page) if k in changes and k not in errors]
        if not keys:
            continue
        merged = {**data, **{k: changes[k] for k in keys}}
        form = plan.bound(page, merged, attached)
        form.is_valid()
        for key in keys:
            if key in form.errors:
                errors[key] = [str(m) for m in form.errors[key]]
            else:
                cleaned_by_page.setdefault(page, {})[key] = form.cleaned_data.get(key)
    return errors, cleaned_by_page


# --- The whole dossier ----------------------------------------------------------------------


def handler_errors(plan: Plan, data: dict[str, Any]) -> dict[str, list[str]]:
    """The handler's checks on the whole data (``validate``), which may also
    add what follows from the answers to ``data`` (e.g. the birth's ``late``)."""
    errors: dict[str, list[str]] = {}
    for name, messages in (plan.handler.validate(plan.procedure, data) or {}).items():
        key = f"q-{name}" if name in plan.file_questions else name
        errors.setdefault(key, []).extend(str(m) for m in messages)
    return errors


def answer_errors(
    plan: Plan, data: dict[str, Any], *, attached: Iterable[str] = ()
) -> dict[str, list[str]]:
    """Every problem with the answers: each page's checks, then (when they
    pass) the handler's checks on the whole data (``handler_errors``)."""
    attached = set(attached)
    errors: dict[str, list[str]] = {}
    for page in plan.pages:
        form = plan.bound(page, data, attached)
        if form.is_valid():
            continue
        for name, messages in form.errors.items():
            if name in plan.file_questions:
                key = f"q-{name}"
            elif name == forms.forms.NON_FIELD_ERRORS:
                key = f"page-{page}"
            else:
                key = name
            errors.setdefault(key, []).extend(str(m) for m in messages)
    if not errors:
        errors = handler_errors(plan, data)
    return errors


def missing_answers(plan: Plan, data: Mapping[str, Any]) -> dict[str, list[str]]:
    """The questions still unanswered that must be answered (those asked given
    the answers so far): ``{question key: [message]}``, in page order."""
    hidden = plan.hidden(data)
    missing: dict[str, list[str]] = {}
    for page in plan.pages:
        form = plan.bound(page, data)
        for name in plan.fields_of(page):
            field = form.fields.get(name)
            if field is None or name in hidden or not field.required or field.disabled:
                continue
            if data.get(name) in (None, "", [], {}):
                missing[name] = [
                    str(
                        _("Answer this question: “%(question)s”.")
                        % {"question": field.label or name}
                    )
                ]
    return missing


def attached_questions(attachments: Iterable[Attachment]) -> set[str]:
    """The file questions that have a document attached."""
    return {a.field_key for a in attachments if a.field_key}


def _attachments(dossier: Dossier) -> list[Attachment]:
    return list(Attachment.objects.filter(dossier=dossier).only("requirement", "field_key"))


def missing_documents(
    dossier: Dossier, plan: Plan | None = None, attachments: list[Attachment] | None = None
) -> list[DocumentSlot]:
    """The mandatory documents and file questions of a draft that have nothing
    attached yet."""
    plan = plan or plan_for(dossier.procedure)
    if attachments is None:
        attachments = _attachments(dossier)
    return [
        slot
        for slot in plan.slots_for(answers_of(dossier))
        if slot.mandatory and not any(slot.holds(attachment) for attachment in attachments)
    ]


def missing_message(slot: DocumentSlot) -> str:
    return str(_("Add “%(document)s”.") % {"document": slot.label})


def submission_problems(
    dossier: Dossier, plan: Plan, attachments: list[Attachment] | None = None
) -> dict[str, list[str]]:
    """Everything that stops the draft from being sent, by question key or
    document slot key (``doc-<id>``, ``q-<key>``); empty when it can go."""
    if attachments is None:
        attachments = _attachments(dossier)
    problems: dict[str, list[str]] = {}
    for slot in missing_documents(dossier, plan, attachments):
        problems.setdefault(slot.key, []).append(missing_message(slot))
    errors = answer_errors(plan, answers_of(dossier), attached=attached_questions(attachments))
    for key, messages in errors.items():
        problems.setdefault(key, []).extend(m for m in messages if m not in problems.get(key, []))
    return problems


# --- Where a draft resumes ------------------------------------------------------------------


def next_step(dossier: Dossier, plan: Plan) -> str:
    """Where to resume: the first page not complete, then the documents while a
    mandatory one is missing, else the check-your-answers step."""
    attachments = _attachments(dossier)
    attached = attached_questions(attachments)
    data = answers_of(dossier)
    for page in plan.pages:
        if not page_is_complete(plan, page, data, attached):
            return f"page-{page}"
    if plan.slots and missing_documents(dossier, plan, attachments):
        return "documents"
    return "check"


def step_reachable(dossier: Dossier, plan: Plan, step: str) -> str | None:
    """None when ``step`` may be opened now (it is not after the first step
    that is not complete: going back is always allowed), else the step to go to."""
    steps = plan.steps()
    first_open = next_step(dossier, plan)
    if step in steps and steps.index(step) <= steps.index(first_open):
        return None
    return first_open
