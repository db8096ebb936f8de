"""The one-stop slips of Circular 01/2018/TT-VPCP, as PDF documents of a dossier.

| step (action)                          | slip                                                  |
|----------------------------------------|-------------------------------------------------------|
| receive                                | Mẫu số 01 receipt and appointment + Mẫu số 05 tracking |
| hand_in (a dossier handed on by        | the same two, with the handoff's time budget and the  |
| another agency, taken by the system)   | sending agency and dossier instead of the counter's   |
| request_supplement_before_receipt,     | Mẫu số 02 request to supplement (the whole list, once) |
| request_supplement                     |                                                       |
| refuse                                 | Mẫu số 03 refusal                                     |
| apologise                              | Mẫu số 04 apology and new date                        |
| submit (online dossiers only)          | online submission receipt (not a Circular form)       |

``render_for_event(event)`` is called by ``tasks.after_event`` under the event's
row lock and is idempotent: each slip is a ``DossierDocument`` row keyed
``event-<event id>``, rendered only while it has no file, stored once in the
private default storage with its SHA-256. A rendering error is written on the
row and raised again, so the task retries. ``render_tracking_slip(dossier)``
refreshes the tracking slip on demand (key ``tracking-<number of events>``).
``render_fee_receipt(payment)`` issues the receipt of a fee paid online
("Biên lai thu phí, lệ phí", key ``payment-<payment reference>``; see onecounter.payments).

The slips are official Vietnamese forms: their text is Vietnamese whatever the
reader's language, dates are written dd/mm/yyyy. Each slip shows the dossier
as it stood at its step (the events up to that step, the supplement request or
apology written with it), so a slip rendered late by the sweep says the same as
one rendered at once. The form numbers and titles can be replaced in settings
(``EGOV_SLIP_FORMS = {"receipt": {"number": "Mẫu số 01", "title": ...}}``) when
a new decree renumbers them; ``EGOV_SLIP_PLACE`` (default "Hà Nội") is the place
in the date line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.cache import patch_cache_control

from citizens.models import Role
from citizens.permissions import roles_in
from onecounter import pdf, verification
from onecounter.models import (
    ApologySlip,
    Dossier,
    DossierDocument,
    DossierEvent,
    SupplementRequest,
)

logger = logging.getLogger(__name__)

Kind = DossierDocument.Kind


@dataclasses.dataclass(frozen=True)
class SlipForm:
    number: str
    title: str
    template: str


DEFAULT_FORMS: dict[str, SlipForm] = {
    Kind.RECEIPT: SlipForm(
        "Mẫu số 01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", "slips/receipt.html"
    ),
    Kind.SUPPLEMENT: SlipForm(
        "Mẫu số 02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", "slips/supplement.html"
    ),
    Kind.REFUSAL: SlipForm(
        "Mẫu số 03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ", "slips/refusal.html"
    ),
    Kind.APOLOGY: SlipForm(
        "Mẫu số 04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả", "slips/apology.html"
    ),
    Kind.TRACKING: SlipForm(
        "Mẫu số 05", "Phiếu kiểm soát quá trình giải quyết hồ sơ", "slips/tracking.html"
    ),
    # Not a one-stop form: the receipt of a fee paid online (onecounter.payments).
    Kind.FEE_RECEIPT: SlipForm("", "Biên lai thu phí, lệ phí", "slips/fee_receipt.html"),
}

SLIPS_FOR_ACTION: dict[str, tuple[str, ...]] = {
    "receive": (Kind.RECEIPT, Kind.TRACKING),
    # A dossier handed on by another agency is received by the system (interconnect).
    "hand_in": (Kind.RECEIPT, Kind.TRACKING),
    "request_supplement_before_receipt": (Kind.SUPPLEMENT,),
    "request_supplement": (Kind.SUPPLEMENT,),
    "refuse": (Kind.REFUSAL,),
    "apologise": (Kind.APOLOGY,),
}

# The steps as the tracking slip names them.
STEP_NAMES = {
    "submit": "Nộp hồ sơ",
    "receive": "Tiếp nhận hồ sơ, hẹn trả kết quả",
    "request_supplement_before_receipt": "Yêu cầu bổ sung, hoàn thiện hồ sơ",
    "resubmit": "Nộp lại hồ sơ đã bổ sung",
    "refuse": "Từ chối tiếp nhận hồ sơ",
    "assign": "Phân công cán bộ xử lý",
    "request_supplement": "Yêu cầu bổ sung hồ sơ (tạm dừng thời hạn)",
    "supply": "Nhận hồ sơ bổ sung",
    "propose": "Đề xuất kết quả giải quyết",
    "send_back": "Trả lại để xem xét lại",
    "approve": "Phê duyệt, ký kết quả",
    "reject": "Không phê duyệt hồ sơ",
    "mark_result_ready": "Có kết quả, chuyển Bộ phận trả kết quả",
    "hand_back": "Trả kết quả cho người nộp hồ sơ",
    "withdraw": "Rút hồ sơ",
    "apologise": "Xin lỗi, hẹn lại ngày trả kết quả",
    "hand_in": "Tiếp nhận hồ sơ liên thông từ cơ quan khác, hẹn trả kết quả",
    "need_verification": "Cần xác minh, thời hạn giải quyết 05 ngày làm việc",
}
# The steps that receive a dossier (the promised date is set from then on).
RECEIVING_STEPS = frozenset({"receive", "hand_in"})

ONE_STOP_DESK = "Bộ phận tiếp nhận và trả kết quả"


def slip_form(kind: str) -> SlipForm:
    overrides = getattr(settings, "EGOV_SLIP_FORMS", {}).get(kind, {})
    return dataclasses.replace(DEFAULT_FORMS[kind], **overrides)


# --- Issuing -------------------------------------------------------------------------


def render_for_event(event: DossierEvent) -> list[DossierDocument]:
    """The slips this step issues, each rendered once. Safe to call again."""
    if event.action == "mark_result_ready":
        return render_results(_load(event.dossier_id))
    kinds = SLIPS_FOR_ACTION.get(event.action, ())
    if not kinds:
        return []
    dossier = _load(event.dossier_id)
    # The online submission receipt is for dossiers the citizen filed online.
    kinds = tuple(k for k in kinds if k != Kind.SUBMISSION or dossier.channel == "online")
    key = f"event-{event.pk}"
    return [
        _issue(dossier, kind, key, lambda kind=kind: BUILDERS[kind](dossier, event))
        for kind in kinds
    ]


def render_tracking_slip(dossier: Dossier) -> DossierDocument:
    """The tracking slip with every step so far (rendered again only after a new step)."""
    dossier = _load(dossier.pk)
    count = dossier.events.count()  # steps are numbered 1..count
    return _issue(
        dossier,
        Kind.TRACKING,
        f"tracking-{count}",
        lambda: _tracking(dossier, upto=count, due=dossier.due_date, day=timezone.localdate()),
    )


def document_response(document: DossierDocument, *, as_attachment: bool = False) -> FileResponse:
    """The stored PDF as a response named ``<code>-<kind>.pdf``. Callers check access."""
    if not document.file:
        raise Http404
    response = FileResponse(
        document.file.open("rb"),
        content_type="application/pdf",
        as_attachment=as_attachment,
        filename=f"{document.dossier.code}-{document.kind}.pdf",
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


def _load(dossier_id) -> Dossier:
    return Dossier.objects.select_related("procedure", "agency").get(pk=dossier_id)


def _issue(
    dossier: Dossier,
    kind: str,
    key: str,
    build: Callable[[], dict[str, Any]],
    *,
    title: str = "",
) -> DossierDocument:
    form = slip_form(kind)
    title = title or form.title
    try:
        with transaction.atomic():
            document, _created = DossierDocument.objects.select_for_update().get_or_create(
                dossier=dossier, kind=kind, key=key, defaults={"title": title}
            )
            if document.file:
                return document
            if kind == Kind.RESULT and not document.verify_token:
                # Its token, number, issuer and holder: given once, with its first PDF.
                sources = result_sources(dossier, verification.result_name(document))
                verification.document_mark_issued(
                    document, issuer=sources.issuer, holder=sources.holder
                )
            _render(document, dossier, form, build)
            return document
    except Exception as exc:
        logger.exception("slip %s %s of dossier %s failed", kind, key, dossier.pk)
        _record_error(dossier, kind, key, dataclasses.replace(form, title=title), exc)
        raise


def _render(
    document: DossierDocument,
    dossier: Dossier,
    form: SlipForm,
    build: Callable[[], dict[str, Any]],
    *,
    fresh_name: bool = False,
) -> None:
    context = {**_common_context(dossier, form), **build()}
    if document.kind == Kind.RESULT:
        context.update(_verification_context(document))
    content = pdf.render_pdf(context["form"].template, context)
    _store(document, content, fresh_name=fresh_name)


def _record_error(dossier: Dossier, kind: str, key: str, form: SlipForm, exc: Exception) -> None:
    """Write the error on the slip's row. It stays when the caller's transaction
    commits (an on-demand render); in ``tasks.after_event`` the whole step rolls
    back and the task retries. Never hides the rendering error itself."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        with transaction.atomic():
            DossierDocument.objects.update_or_create(
                dossier=dossier,
                kind=kind,
                key=key,
                defaults={"error": error},
                create_defaults={"title": form.title, "error": error},
            )
    except Exception:
        logger.exception("could not record the error of slip %s %s", kind, key)


def _store(document: DossierDocument, content: bytes, *, fresh_name: bool = False) -> None:
    """Write the PDF under a name that belongs to this row only. A file left there
    by an attempt whose transaction rolled back is replaced (we hold the row lock).

    A result's name carries its id (a replacement has the same dossier, kind and
    key as the document it supersedes). ``fresh_name`` (rendering an issued
    result again) writes a new file and deletes the previous one only once the
    transaction has committed, so a rollback leaves the row and its file as they were."""
    storage = document.file.storage
    stem = f"dossiers/{document.dossier_id}/{document.kind}-{document.key}".replace("~", "-r")
    if fresh_name:
        stem += f"-{secrets.token_hex(4)}"
    elif document.kind == Kind.RESULT:
        stem += f"-{document.pk.hex[:8]}"
    name = f"{stem}.pdf"
    previous = document.file.name if document.file else ""
    if storage.exists(name):
        storage.delete(name)
    document.file.name = storage.save(name, ContentFile(content))
    document.sha256 = hashlib.sha256(content).hexdigest()
    document.rendered_at = timezone.now()
    document.error = ""
    document.save(update_fields=["file", "sha256", "rendered_at", "error"])
    if previous and previous != document.file.name:
        transaction.on_commit(lambda: _delete_quietly(storage, previous))


def _delete_quietly(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.warning("could not delete a superseded PDF")


# --- Formatting ----------------------------------------------------------------------


def format_date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


def format_datetime(value: dt.datetime | None) -> str:
    """Hà Nội time, as in "10 giờ 05 phút, ngày 04/03/2026"."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def format_short_datetime(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y")


def place_date(day: dt.date) -> str:
    """The place and date line, e.g. "Hà Nội, ngày 04 tháng 3 năm 2026".

    Written as Decree 30/2020/ND-CP (appendix I, II.5) writes dates in
    administrative documents: a day below 10 and the months 1 and 2 take a
    leading zero, the other months do not."""
    place = getattr(settings, "EGOV_SLIP_PLACE", "Hà Nội")
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day:%d} tháng {month} năm {day.year}"


def format_money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


def _actor_name(event: DossierEvent, dossier: Dossier) -> str:
    if event.actor_id is None:
        return "Hệ thống"
    if event.actor_id == dossier.applicant_id:
        return "Người nộp hồ sơ"
    return event.actor.full_name or "Cán bộ"


def _head_name(event: DossierEvent, dossier: Dossier) -> str:
    """The actor's name when they head the agency (form 04 is signed by the head)."""
    if event.actor_id and Role.HEAD in roles_in(event.actor, dossier.agency):
        return event.actor.full_name
    return ""


# --- Contexts of the forms -------------------------------------------------------------


def _common_context(dossier: Dossier, form: SlipForm) -> dict[str, Any]:
    agency = dossier.agency
    return {
        "form": form,
        "dossier": dossier,
        "agency": agency,
        "procedure": dossier.procedure,
        "issuer_parent": agency.name,
        "issuer_name": ONE_STOP_DESK,
        "applicant_lines": _applicant_lines(dossier),
        "contact": _contact(dossier),
    }


def _applicant_lines(dossier: Dossier) -> list[tuple[str, str]]:
    lines = [("Ông/Bà", dossier.applicant_name)]
    if dossier.applicant_id_number:
        lines.append(("Số định danh cá nhân", dossier.applicant_id_number))
    if dossier.applicant_address:
        lines.append(("Địa chỉ", dossier.applicant_address))
    if dossier.applicant_phone:
        lines.append(("Số điện thoại", dossier.applicant_phone))
    if dossier.applicant_email:
        lines.append(("Thư điện tử", dossier.applicant_email))
    return lines


def _contact(dossier: Dossier) -> str:
    agency = dossier.agency
    parts = [f"{ONE_STOP_DESK} – {agency.name}"]
    if agency.address:
        parts.append(agency.address)
    if agency.phone:
        parts.append(f"điện thoại {agency.phone}")
    return ", ".join(parts)


@dataclasses.dataclass(frozen=True)
class HandedOn:
    """Where a dossier handed on by another agency comes from (interconnect)."""

    agency_name: str  # the sending agency, as the slips name it (Vietnamese)
    agency_address: str
    code: str  # the sending agency's dossier
    budget_days: int  # the handoff's time budget now (working days)


def _handed_on(dossier: Dossier) -> HandedOn | None:
    if dossier.channel != Dossier.Channel.LINKED:
        return None
    handoff_model = _handoff_model()
    handoff = (
        handoff_model.objects.filter(agency_dossier=dossier)
        .select_related("dossier__agency")
        .first()
        if handoff_model is not None
        else None
    )
    if handoff is None:
        return None
    source = handoff.dossier
    return HandedOn(
        agency_name=source.agency.name,
        agency_address=source.agency.address,
        code=_reference(source),
        budget_days=handoff.budget_days,
    )


def _days_for(dossier: Dossier, event: DossierEvent | None = None) -> int:
    """The processing time in working days: the procedure's, by channel; for a
    dossier handed on by another agency, the handoff's time budget (as given
    when it was handed in, for the slips of that step)."""
    procedure = dossier.procedure
    if dossier.channel == Dossier.Channel.LINKED:
        if event is not None and event.action == "hand_in" and event.data.get("budget_days"):
            return int(event.data["budget_days"])
        handed_on = _handed_on(dossier)
        if handed_on is not None:
            return handed_on.budget_days
    if dossier.channel == Dossier.Channel.ONLINE:
        return procedure.days_online
    return procedure.days_counter


def _receipt_context(dossier: Dossier, event: DossierEvent) -> dict[str, Any]:
    procedure = dossier.procedure
    online = dossier.channel == Dossier.Channel.ONLINE
    handed_on = _handed_on(dossier)
    desk_name, desk_address = dossier.agency.name, dossier.agency.address
    if handed_on is not None:
        # Its results go back with those of the dossier it was handed on from.
        desk_name, desk_address = handed_on.agency_name, handed_on.agency_address
    collect_at = ", ".join(p for p in (f"{ONE_STOP_DESK} – {desk_name}", desk_address) if p)
    if procedure.online_level == "full" or handed_on is not None:
        collect_at = (
            "Trên Cổng dịch vụ công (kho giấy tờ điện tử của người nộp hồ sơ) "
            f"hoặc tại {collect_at}"
        )
    if handed_on is not None:
        collect_at = f"Cùng kết quả hồ sơ {handed_on.code}: {collect_at[0].lower()}{collect_at[1:]}"
        channel_text = f"Liên thông, do {handed_on.agency_name} chuyển đến (hồ sơ {handed_on.code})"
    elif online:
        channel_text = "Trực tuyến, qua Cổng dịch vụ công"
    else:
        channel_text = f"Trực tiếp tại {ONE_STOP_DESK}"
    return {
        "place_date": place_date(timezone.localdate(event.at)),
        "documents": list(procedure.documents.all()),
        "channel_text": channel_text,
        "days": _days_for(dossier, event),
        "received_at_text": format_datetime(dossier.received_at or event.at),
        "due_date_text": format_date(dossier.original_due_date or dossier.due_date),
        "collect_at": collect_at,
        "fee_text": format_money(dossier.fee) if dossier.fee else "Không thu phí, lệ phí",
        "receiver": _actor_name(event, dossier),
        # The form's "applicant signs" box is for a dossier handed in at the desk
        # (the template reads ``online``: nobody stood at the desk to sign).
        "online": dossier.channel != Dossier.Channel.COUNTER,
    }


def _supplement_context(dossier: Dossier, event: DossierEvent) -> dict[str, Any]:
    request = SupplementRequest.objects.filter(event=event).first() or (
        SupplementRequest.objects.filter(
            dossier=dossier,
            before_receipt=event.action == "request_supplement_before_receipt",
            requested_at__lte=event.at,
        )
        .order_by("-requested_at")
        .first()
    )
    if request is None:
        raise LookupError(f"no supplement request for event {event.pk}")
    return {
        "place_date": place_date(timezone.localdate(event.at)),
        "request": request,
        "items": [str(item) for item in request.items],
        "deadline_text": format_date(request.deadline) if request.deadline else "",
        "submitted_text": format_date(
            timezone.localdate(dossier.submitted_at) if dossier.submitted_at else None
        ),
        "received_text": format_date(
            timezone.localdate(dossier.received_at) if dossier.received_at else None
        ),
        "guide": _actor_name(event, dossier),
    }


def _refusal_context(dossier: Dossier, event: DossierEvent) -> dict[str, Any]:
    return {
        "place_date": place_date(timezone.localdate(event.at)),
        "submitted_text": format_datetime(dossier.submitted_at),
        "reason": event.reason,
        "receiver": _actor_name(event, dossier),
    }


def _apology_context(dossier: Dossier, event: DossierEvent) -> dict[str, Any]:
    apology = ApologySlip.objects.filter(event=event).first()
    if apology is None:  # slips of events recorded before the link existed
        apologies = ApologySlip.objects.filter(dossier=dossier, issued_at__lte=event.at)
        new_date = event.data.get("new_due_date")
        if new_date:
            apologies = apologies.filter(new_due_date=dt.date.fromisoformat(new_date))
        apology = apologies.order_by("-issued_at").first()
    if apology is None:
        raise LookupError(f"no apology slip for event {event.pk}")
    return {
        "issuer_parent": "",
        "issuer_name": dossier.agency.name,
        "place_date": place_date(timezone.localdate(event.at)),
        "apology": apology,
        "received_text": format_date(
            timezone.localdate(dossier.received_at) if dossier.received_at else None
        ),
        "signer": _head_name(event, dossier),
        "old_due_text": format_date(apology.old_due_date),
        "new_due_text": format_date(apology.new_due_date),
        "reason": apology.reason,
    }


def _tracking_context(dossier: Dossier, event: DossierEvent) -> dict[str, Any]:
    """The tracking slip issued with the receipt: the steps up to the receipt and
    the date promised on it."""
    return _tracking(
        dossier,
        upto=event.seq,
        due=dossier.original_due_date or dossier.due_date,
        day=timezone.localdate(event.at),
        days=_days_for(dossier, event),
    )


def _tracking(
    dossier: Dossier,
    *,
    upto: int,
    due: dt.date | None,
    day: dt.date,
    days: int | None = None,
) -> dict[str, Any]:
    """Steps 1..``upto`` with who took each and when, and whether it came before,
    on or after the promised date ``due`` (from the receipt on)."""
    events = dossier.events.filter(seq__lte=upto).select_related("actor").order_by("seq")
    received = False
    steps = []
    for step in events:
        received = received or step.action in RECEIVING_STEPS
        timing = ""
        if received and due is not None:
            on = timezone.localdate(step.at)
            timing = "Trước hạn" if on < due else "Đúng hạn" if on == due else "Quá hạn"
        steps.append(
            {
                "name": STEP_NAMES.get(step.action, step.action),
                "actor": _actor_name(step, dossier),
                "at": format_short_datetime(step.at),
                "timing": timing,
                "note": step.reason,
            }
        )
    return {
        "place_date": place_date(day),
        "steps": steps,
        "received_at_text": format_datetime(dossier.received_at),
        "due_date_text": format_date(due),
        "days": _days_for(dossier) if days is None else days,
    }


BUILDERS: dict[str, Callable[[Dossier, DossierEvent], dict[str, Any]]] = {
    Kind.RECEIPT: _receipt_context,
    Kind.SUPPLEMENT: _supplement_context,
    Kind.REFUSAL: _refusal_context,
    Kind.APOLOGY: _apology_context,
    Kind.TRACKING: _tracking_context,
}


# --- The fee receipt (onecounter.payments) ----------------------------------------------
# "Biên lai thu phí, lệ phí": issued once per paid payment, keyed by its unique
# reference (``payment-<reference>``: with a UUID the stored file name would pass
# the 100 characters of ``DossierDocument.file``), after the paid draft is
# submitted, so it carries the dossier code.

DIGIT_WORDS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
SCALE_WORDS = ("", "nghìn", "triệu", "tỷ")


def _three_digits_in_words(number: int, *, full: bool) -> list[str]:
    """0-999 in words; ``full`` reads the hundreds and "linh" even when zero
    (a group after a higher one: 1.005.000 is "một triệu không trăm linh năm nghìn")."""
    hundreds, tens, units = number // 100, number // 10 % 10, number % 10
    words: list[str] = []
    if full or hundreds:
        words += [DIGIT_WORDS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [DIGIT_WORDS[tens], "mươi"]
    if units == 1 and tens >= 2:
        words.append("mốt")
    elif units == 5 and tens >= 1:
        words.append("lăm")
    elif units:
        words.append(DIGIT_WORDS[units])
    return words


def number_in_words(number: int) -> str:
    """A whole number in Vietnamese words, lower case: 2026 → "hai nghìn không
    trăm hai mươi sáu" (up to hundreds of billions)."""
    if number <= 0:
        return "không"
    groups = []
    while number:
        groups.append(number % 1000)
        number //= 1000
    if len(groups) > len(SCALE_WORDS):
        raise ValueError("number too large to write in words")
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        words += _three_digits_in_words(group, full=bool(words))
        if SCALE_WORDS[index]:
            words.append(SCALE_WORDS[index])
    return " ".join(words)


def money_in_words(amount: int) -> str:
    """An amount of đồng in Vietnamese words, e.g. 1.250.000 → "Một triệu hai
    trăm năm mươi nghìn đồng" (up to hundreds of billions)."""
    if amount <= 0:
        return "Không đồng"
    try:
        words = number_in_words(amount)
    except ValueError:
        raise ValueError("amount too large to write in words") from None
    text = words + " đồng"
    return text[0].upper() + text[1:]


MONTH_WORDS = {4: "tư"}  # "tháng tư", not "tháng bốn"


def date_in_words(day: dt.date) -> str:
    """A date in words, as civil-status documents write it: 15/03/2026 → "Ngày
    mười lăm, tháng ba, năm hai nghìn không trăm hai mươi sáu"."""
    month = MONTH_WORDS.get(day.month) or number_in_words(day.month)
    return f"Ngày {number_in_words(day.day)}, tháng {month}, năm {number_in_words(day.year)}"


def fee_receipt_key(payment) -> str:
    return f"payment-{payment.reference}"


def render_fee_receipt(payment) -> DossierDocument:
    """The fee receipt of a paid payment, rendered once. Safe to call again."""
    dossier = _load(payment.dossier_id)
    return _issue(
        dossier,
        Kind.FEE_RECEIPT,
        fee_receipt_key(payment),
        lambda: _fee_receipt_context(dossier, payment),
    )


def _payment_method(payment) -> str:
    from django.utils.module_loading import import_string

    from onecounter.payments.base import PROVIDERS

    if payment.provider == "cash":  # transitions.CASH_PROVIDER
        return "Tiền mặt tại bộ phận một cửa"
    path = PROVIDERS.get(payment.provider)
    if path is None:
        return f"Trực tuyến ({payment.provider})"
    return import_string(path).receipt_label


def _fee_receipt_context(dossier: Dossier, payment) -> dict[str, Any]:
    if payment.paid_at is None:
        raise LookupError(f"payment {payment.pk} is not paid")
    procedure = dossier.procedure
    return {
        "place_date": place_date(timezone.localdate(payment.paid_at)),
        "payment": payment,
        "payer": dossier.applicant_name,
        "procedure_text": (
            f"{procedure.name} (mã thủ tục {procedure.code})" if procedure.code else procedure.name
        ),
        "amount_text": format_money(payment.amount),
        "amount_words": money_in_words(payment.amount),
        "method_text": _payment_method(payment),
        "transaction_text": payment.provider_transaction or "—",
        "paid_at_text": format_datetime(payment.paid_at),
    }


# --- The online submission receipt (onecounter.filing) ------------------------------------
# "Biên nhận nộp hồ sơ trực tuyến": issued for the ``submit`` step of a dossier
# filed online. It acknowledges that the dossier was sent; it is not the
# receipt and appointment slip (Mẫu số 01), which the one-stop desk issues
# when it receives the dossier and sets the promised date.

DEFAULT_FORMS[Kind.SUBMISSION] = SlipForm(
    "", "Biên nhận nộp hồ sơ trực tuyến", "slips/submission.html"
)
SLIPS_FOR_ACTION["submit"] = (Kind.SUBMISSION,)
SUBMITTED_FILE_KINDS = {
    "application/pdf": "Tệp PDF",
    "image/jpeg": "Ảnh chụp (JPEG)",
    "image/png": "Ảnh chụp (PNG)",
}


def _submission_context(dossier: Dossier, event: DossierEvent) -> dict[str, Any]:
    from onecounter.workdays import WorkCalendar

    procedure = dossier.procedure
    submitted = dossier.submitted_at or event.at
    calendar = WorkCalendar.load(start=timezone.localdate(submitted) - dt.timedelta(days=1))
    attachments = [
        {
            "name": a.requirement.name if a.requirement_id else a.label,
            "form": (
                "Giấy tờ trong kho dữ liệu điện tử"
                if a.wallet_document_id
                else SUBMITTED_FILE_KINDS.get(a.content_type, "Tệp đính kèm")
            ),
        }
        for a in dossier.attachments.filter(uploaded_at__lte=event.at)
        .select_related("requirement")
        .order_by("uploaded_at", "pk")
    ]
    subject = dossier.subject_person
    return {
        "place_date": place_date(timezone.localdate(event.at)),
        "submitted_at_text": format_datetime(submitted),
        "expected_date_text": format_date(calendar.due_date(submitted, procedure.days_online)),
        "days": procedure.days_online,
        "attachments": attachments,
        "subject_lines": (
            [
                ("Họ và tên", subject.full_name),
                ("Số định danh cá nhân", subject.id_number),
                ("Ngày sinh", format_date(subject.birth_date)),
            ]
            if subject is not None
            else []
        ),
        "fee_text": (format_money(dossier.fee) if dossier.fee else "Không thu phí, lệ phí"),
        "paid": dossier.paid_at is not None,
        "agency_name": dossier.agency.name,
    }


BUILDERS[Kind.SUBMISSION] = _submission_context


# --- Results ---------------------------------------------------------------------------
# When a decided dossier's result is made ready, each result document its
# procedure's handler names (e.g. "birth_certificate") is rendered once, keyed
# by that name, so the wallet can file it under the same kind. Each result gets
# a token, a number, an issuer and a holder when first issued
# (onecounter.verification), and carries a QR code to its public verification page.
#
# A result may be about a birth handed on to other agencies (interconnect): the
# residence confirmation and the health-insurance card are then decided by the
# ward police and social insurance, in their own dossiers. ``result_sources``
# finds, for a result of any dossier, the dossier whose decision made it, the
# birth dossier it came from, whom it is about and who issues it.

RESULT_TITLES = {
    "birth_certificate": "Trích lục khai sinh",
    "residence_confirmation": "Xác nhận thông tin về cư trú",
    "health_insurance_card": "Thẻ bảo hiểm y tế",
    "decision": "Kết quả giải quyết thủ tục hành chính",
    "rejection": "Thông báo không giải quyết hồ sơ",
}
RESULT_TEMPLATES = {
    "birth_certificate": "slips/birth_certificate.html",
    "residence_confirmation": "slips/residence_confirmation.html",
    "health_insurance_card": "slips/health_insurance_card.html",
}
DEFAULT_FORMS[Kind.RESULT] = SlipForm("", RESULT_TITLES["decision"], "slips/result.html")

# The handoff target that decides each result of an interconnected birth.
HANDOFF_TARGETS = {"residence_confirmation": "residence", "health_insurance_card": "insurance"}

# Who signs, by kind of agency (the document's signature block).
SIGNER_TITLES = {
    "peoples_committee": ("TM. Ủy ban nhân dân", "Chủ tịch"),
    "police": ("", "Trưởng Công an"),
    "social_insurance": ("", "Giám đốc"),
}
DEFAULT_SIGNER_TITLE = ("", "Thủ trưởng cơ quan")


def result_kinds(dossier: Dossier) -> list[str]:
    from procedures.handlers import registry

    decision = dossier.events.filter(action__in=["approve", "reject"]).order_by("-seq").first()
    if decision is not None and decision.action == "reject":
        return ["rejection"]
    try:
        return list(registry.get(dossier.procedure.handler).result_documents(dossier.procedure))
    except LookupError:
        return ["decision"]


def render_results(dossier: Dossier) -> list[DossierDocument]:
    """The dossier's result documents, each rendered once. Safe to call again."""
    dossier = _load(dossier.pk)
    return [render_result(dossier, name) for name in result_kinds(dossier)]


def render_result(
    dossier: Dossier, name: str, *, replaces: DossierDocument | None = None
) -> DossierDocument:
    """The result ``name`` of the dossier (keyed ``name``), rendered once.
    ``replaces``: the document it supersedes (see verification.document_replace)."""
    title = RESULT_TITLES.get(name, RESULT_TITLES["decision"])
    document = _issue(
        dossier,
        Kind.RESULT,
        name,
        lambda: _result_context(dossier, name, title, replaces=replaces),
        title=title,
    )
    if document.title == slip_form(Kind.RESULT).title and title != document.title:
        # A row made before results had their own titles: name it after the result.
        DossierDocument.objects.filter(pk=document.pk).update(title=title)
        document.title = title
    return document


def rerender_result(document: DossierDocument) -> DossierDocument:
    """Render an issued result again, in a new file (its token, number and date
    of issue stay). The caller holds the row lock (verification.document_rerender)."""
    dossier = _load(document.dossier_id)
    name = verification.result_name(document)
    title = document.title or RESULT_TITLES.get(name, RESULT_TITLES["decision"])
    replaces = DossierDocument.objects.filter(replaced_by=document).first()
    form = slip_form(Kind.RESULT)
    _render(
        document,
        dossier,
        form,
        lambda: _result_context(dossier, name, title, replaces=replaces),
        fresh_name=True,
    )
    return document


def _verification_context(document: DossierDocument) -> dict[str, Any]:
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


@dataclasses.dataclass(frozen=True)
class ResultSources:
    dossier: Dossier  # the dossier the result belongs to
    deciding: Dossier  # the dossier whose decision made it
    origin: Dossier | None  # the birth dossier it was handed on from, if any
    data: dict[str, Any]  # the answers, the deciding dossier's first
    holder: Any  # citizens.models.Person | None: whom it is about
    issuer: Any  # citizens.models.Agency: who issues it


def _handoff_model():
    from django.apps import apps

    try:
        return apps.get_model("interconnect", "Handoff")
    except LookupError:
        return None


def _reference(dossier: Dossier) -> str:
    return dossier.code or str(dossier.pk)


def result_sources(dossier: Dossier, name: str) -> ResultSources:
    from citizens.models import Person

    deciding, origin, issuer, payload = dossier, None, None, {}
    handoff_model = _handoff_model()
    if handoff_model is not None:
        target = HANDOFF_TARGETS.get(name)
        outgoing = (
            handoff_model.objects.filter(dossier=dossier, target=target)
            .select_related("agency", "agency_dossier__agency", "agency_dossier__subject_person")
            .first()
            if target
            else None
        )
        if outgoing is not None:
            payload = dict(outgoing.payload or {})
            issuer = outgoing.agency
            if outgoing.agency_dossier_id:
                deciding = outgoing.agency_dossier
        incoming = (
            handoff_model.objects.filter(agency_dossier=dossier)
            .select_related("dossier__agency", "dossier__subject_person")
            .first()
        )
        if incoming is not None:
            origin = incoming.dossier
            payload = {**(incoming.payload or {}), **payload}
    data: dict[str, Any] = {}
    for answers in (origin.data if origin else {}, payload, dossier.data, deciding.data):
        data.update({k: v for k, v in (answers or {}).items() if v not in (None, "")})

    holder = None
    birth_date = _as_date(data.get("birth_date"))
    if birth_date is not None:
        references = {_reference(d) for d in (dossier, deciding, origin) if d is not None}
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
    holder = holder or dossier.applicant_person
    return ResultSources(
        dossier=dossier,
        deciding=deciding,
        origin=origin,
        data=data,
        holder=holder,
        issuer=issuer or deciding.agency,
    )


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _decision(dossier: Dossier) -> DossierEvent | None:
    return (
        dossier.events.filter(action__in=["approve", "reject"])
        .select_related("actor")
        .order_by("-seq")
        .first()
    )


def _sex_text(sex: str) -> str:
    return "Nam" if sex == "M" else "Nữ"


def _ethnicity_text(code: str) -> str:
    from citizens.reference import ETHNICITY_NAMES

    return ETHNICITY_NAMES.get(code, code or "")


def _residence_text(person) -> str:
    from egov.text import address_with_unit

    return address_with_unit(
        person.permanent_address, str(person.permanent_unit) if person.permanent_unit_id else ""
    )


def _result_context(
    dossier: Dossier, name: str, title: str, *, replaces: DossierDocument | None = None
) -> dict[str, Any]:
    sources = result_sources(dossier, name)
    deciding = sources.deciding
    decision = _decision(deciding)
    agency = sources.issuer
    template = RESULT_TEMPLATES.get(name, "slips/result.html")
    form = dataclasses.replace(slip_form(Kind.RESULT), title=title, template=template)
    above, role = SIGNER_TITLES.get(agency.kind, DEFAULT_SIGNER_TITLE)
    context: dict[str, Any] = {
        "form": form,
        "issuer_parent": "",
        "issuer_name": agency.name,
        "issuing_agency": agency,
        "approved": name != "rejection",
        "decision_note": deciding.decision_note,
        "decided_text": format_date(
            timezone.localdate(deciding.decided_at) if deciding.decided_at else None
        ),
        "signer": decision.actor.full_name if decision and decision.actor else "",
        "signer_above": above,
        "signer_role": role,
        "holder_lines": _holder_lines(sources.holder, name),
        "replaces": (
            {
                "number": replaces.number,
                "issued_text": format_date(verification.issued_on(replaces)),
            }
            if replaces is not None
            else None
        ),
    }
    specific = RESULT_CONTEXTS.get(name)
    if specific is not None and sources.holder is not None:
        context.update(specific(sources))
    return context


def _holder_lines(holder, name: str) -> list[tuple[str, str]]:
    if holder is None:
        return []
    lines = [
        ("Họ và tên", holder.full_name),
        ("Số định danh cá nhân", holder.id_number),
        ("Ngày sinh", format_date(holder.birth_date)),
        ("Giới tính", _sex_text(holder.sex)),
    ]
    if holder.health_insurance_number and name == "health_insurance_card":
        lines.append(("Mã số thẻ bảo hiểm y tế", holder.health_insurance_number))
    if holder.permanent_address and name == "residence_confirmation":
        lines.append(("Nơi thường trú", holder.permanent_address))
    return lines


# --- Trích lục khai sinh ---


def _parent_lines(sources: ResultSources, parent: str) -> dict[str, str]:
    """A parent as the extract shows them: from their record when the child's
    record links to it, else from the declaration (e.g. a foreign national);
    all empty when the father is unknown."""
    child, data = sources.holder, sources.data
    record = getattr(child, parent)
    empty = {"name": "", "birth_year": "", "ethnicity": "", "nationality": "", "residence": ""}
    if record is not None:
        return {
            "name": record.full_name,
            "birth_year": str(record.birth_date.year),
            "ethnicity": _ethnicity_text(record.ethnicity),
            "nationality": record.nationality,
            "residence": _residence_text(record),
        }
    if parent == "father" and data.get("father_unknown"):
        return empty
    name = getattr(child, f"{parent}_name") or (data.get(f"{parent}_name") or "")
    if not name:
        return empty
    ethnicity = data.get(f"{parent}_ethnicity") or ""
    return {
        "name": name,
        "birth_year": str(data.get(f"{parent}_birth_year") or ""),
        "ethnicity": _ethnicity_text(ethnicity) if len(ethnicity) == 2 else ethnicity,
        "nationality": data.get(f"{parent}_nationality") or "",
        "residence": data.get(f"{parent}_residence") or "",
    }


def _birth_certificate_context(sources: ResultSources) -> dict[str, Any]:
    child = sources.holder
    birth = sources.origin or sources.deciding
    registered = timezone.localdate(birth.decided_at) if birth.decided_at else None
    return {
        "child": {
            "full_name": child.full_name,
            "birth_date_text": format_date(child.birth_date),
            "birth_date_words": date_in_words(child.birth_date),
            "sex": _sex_text(child.sex),
            "ethnicity": _ethnicity_text(child.ethnicity),
            "nationality": child.nationality,
            "birth_place": child.birth_place,
            "native_place": child.native_place,
            "id_number": child.id_number,
        },
        "mother": _parent_lines(sources, "mother"),
        "father": _parent_lines(sources, "father"),
        "registration": {
            "number": _reference(birth),
            "date_text": format_date(registered),
            "place": birth.agency.name,
        },
    }


# --- Xác nhận thông tin về cư trú ---

RELATION_WORDS = {
    "head": ("Chủ hộ", "Chủ hộ"),
    "spouse": ("Chồng", "Vợ"),
    "child": ("Con", "Con"),
    "parent": ("Cha", "Mẹ"),
    "grandchild": ("Cháu", "Cháu"),
    "grandparent": ("Ông", "Bà"),
    "sibling": ("Anh/em", "Chị/em"),
    "in_law": ("Con rể", "Con dâu"),
    "other": ("Khác", "Khác"),
}


def relation_text(relation: str, sex: str) -> str:
    """The relation to the head of household, as residence documents write it."""
    male, female = RELATION_WORDS.get(relation, (relation, relation))
    return male if sex == "M" else female


def _membership(sources: ResultSources):
    from citizens.models import HouseholdMembership

    person = sources.holder
    references = [_reference(d) for d in (sources.deciding, sources.dossier, sources.origin) if d]
    memberships = HouseholdMembership.objects.filter(person=person).select_related(
        "household__head", "household__unit__parent"
    )
    return (
        memberships.filter(dossier_ref__in=references).order_by("-start_date").first()
        or memberships.filter(
            end_date__isnull=True, residence_type=HouseholdMembership.ResidenceType.PERMANENT
        ).first()
    )


def _residence_confirmation_context(sources: ResultSources) -> dict[str, Any]:
    person = sources.holder
    membership = _membership(sources)
    household = membership.household if membership else None
    address = ""
    if household is not None:
        address = ", ".join(p for p in (household.address, str(household.unit or "")) if p)
    return {
        "person": {
            "full_name": person.full_name,
            "birth_date_text": format_date(person.birth_date),
            "sex": _sex_text(person.sex),
            "id_number": person.id_number,
        },
        "residence": {
            "household_number": household.number if household else "",
            "head": household.head.full_name if household and household.head_id else "",
            "address": address or _residence_text(person),
            "relation": relation_text(membership.relation, person.sex) if membership else "",
            "start_date_text": format_date(membership.start_date) if membership else "",
        },
    }


# --- Thẻ bảo hiểm y tế (trẻ em dưới 6 tuổi) ---

CARD_YEARS = 6  # the state budget pays the card of a child under 6


def card_valid_until(birth_date: dt.date) -> dt.date:
    """The day before the 6th birthday (a child born on 29 February turns 6 on 1 March)."""
    year = birth_date.year + CARD_YEARS
    try:
        birthday = birth_date.replace(year=year)
    except ValueError:
        birthday = dt.date(year, 3, 1)
    return birthday - dt.timedelta(days=1)


def _health_insurance_card_context(sources: ResultSources) -> dict[str, Any]:
    child = sources.holder
    return {
        "card": {
            "number": child.health_insurance_number,
            "full_name": child.full_name,
            "birth_date_text": format_date(child.birth_date),
            "sex": _sex_text(child.sex),
            "facility": sources.data.get("health_facility") or "",
            "valid_from_text": format_date(child.birth_date),
            "valid_until_text": format_date(card_valid_until(child.birth_date)),
            "issuer": sources.issuer.name,
        },
    }


RESULT_CONTEXTS: dict[str, Callable[[ResultSources], dict[str, Any]]] = {
    "birth_certificate": _birth_certificate_context,
    "residence_confirmation": _residence_confirmation_context,
    "health_insurance_card": _health_insurance_card_context,
}
