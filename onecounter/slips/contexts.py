"""What the one-stop slips of Circular 01/2018/TT-VPCP say: their forms and
the context of each, from the dossier as it stood at the step that issued it.

| slip (kind)  | form                                                        |
|--------------|-------------------------------------------------------------|
| receipt      | Mẫu số 01 receipt and appointment                           |
| supplement   | Mẫu số 02 request to supplement (the whole list, once)      |
| refusal      | Mẫu số 03 refusal                                           |
| apology      | Mẫu số 04 apology and new date                              |
| tracking     | Mẫu số 05 tracking slip                                     |
| submission   | online submission receipt (not a Circular form)             |

The slips are official Vietnamese forms: their text is Vietnamese whatever the
reader's language, dates are written dd/mm/yyyy (``egov.vietnamese``). Each
slip shows the dossier as it stood at its step (the events up to that step, the
supplement request or apology written with it), so a slip rendered late by the
sweep says the same as one rendered at once. A dossier handed on by another
agency names that agency and the handoff's time budget: the core asks for them
(``onecounter.events.SlipWriting``; the interconnection answers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from citizens.models import Role
from citizens.permissions import roles_in
from egov import events
from egov.text import money
from egov.vietnamese import format_date, format_datetime, format_short_datetime, place_date
from onecounter.events import HandedOn, SlipWriting
from onecounter.models import ApologySlip, Dossier, DossierDocument, DossierEvent, SupplementRequest
from onecounter.slips.documents import ONE_STOP_DESK, SlipForm, slip_form
from workdays.calendar import WorkCalendar

Kind = DossierDocument.Kind

FORMS: dict[str, SlipForm] = {
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
    # "Biên nhận nộp hồ sơ trực tuyến": issued for the ``submit`` step of a
    # dossier filed online. It acknowledges that the dossier was sent; it is not
    # the receipt and appointment slip (Mẫu số 01), which the one-stop desk
    # issues when it receives the dossier and sets the promised date.
    Kind.SUBMISSION: SlipForm("", "Biên nhận nộp hồ sơ trực tuyến", "slips/submission.html"),
}


def circular_form(kind: str) -> SlipForm:
    """The form of a one-stop slip, with what settings replace (``EGOV_SLIP_FORMS``)."""
    return slip_form(kind, FORMS[kind])


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


def fee_text(amount: int) -> str:
    return money(amount, unit="đồng", language="vi") if amount else "Không thu phí, lệ phí"


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


# --- A dossier handed on by another agency ---------------------------------------------------


def handed_on(dossier: Dossier) -> HandedOn | None:
    """Where a dossier handed on by another agency comes from (the
    interconnection answers ``SlipWriting``)."""
    if dossier.channel != Dossier.Channel.LINKED:
        return None
    answers = [a for a in events.publish(SlipWriting(dossier)) if isinstance(a, HandedOn)]
    return answers[0] if answers else None


# --- The contexts of the forms ---------------------------------------------------------------


def _days_for(dossier: Dossier, event: DossierEvent | None = None) -> int:
    """The processing time in working days: the procedure's, by channel; for a
    dossier handed on by another agency, the handoff's time budget (as given
    when it was handed in, for the slips of that step)."""
    procedure = dossier.procedure
    if dossier.channel == Dossier.Channel.LINKED:
        if event is not None and event.action == "hand_in" and event.data.get("budget_days"):
            return int(event.data["budget_days"])
        source = handed_on(dossier)
        if source is not None:
            return source.budget_days
    if dossier.channel == Dossier.Channel.ONLINE:
        return procedure.days_online
    return procedure.days_counter


def _receipt_context(dossier: Dossier, event: DossierEvent) -> dict[str, Any]:
    procedure = dossier.procedure
    online = dossier.channel == Dossier.Channel.ONLINE
    source = handed_on(dossier)
    desk_name, desk_address = dossier.agency.name, dossier.agency.address
    if source is not None:
        # Its results go back with those of the dossier it was handed on from.
        desk_name, desk_address = source.agency_name, source.agency_address
    collect_at = ", ".join(p for p in (f"{ONE_STOP_DESK} – {desk_name}", desk_address) if p)
    if procedure.online_level == "full" or source is not None:
        collect_at = (
            "Trên Cổng dịch vụ công (kho giấy tờ điện tử của người nộp hồ sơ) "
            f"hoặc tại {collect_at}"
        )
    if source is not None:
        collect_at = f"Cùng kết quả hồ sơ {source.code}: {collect_at[0].lower()}{collect_at[1:]}"
        channel_text = f"Liên thông, do {source.agency_name} chuyển đến (hồ sơ {source.code})"
    elif online:
        channel_text = "Trực tuyến, qua Cổng dịch vụ công"
    elif dossier.channel == Dossier.Channel.POST:
        channel_text = f"Qua dịch vụ bưu chính, gửi đến {ONE_STOP_DESK}"
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
        "fee_text": fee_text(dossier.fee),
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
    return tracking(
        dossier,
        upto=event.seq,
        due=dossier.original_due_date or dossier.due_date,
        day=timezone.localdate(event.at),
        days=_days_for(dossier, event),
    )


def tracking(
    dossier: Dossier,
    *,
    upto: int,
    due: dt.date | None,
    day: dt.date,
    days: int | None = None,
) -> dict[str, Any]:
    """Steps 1..``upto`` with who took each and when, and whether it came before,
    on or after the promised date ``due`` (from the receipt on)."""
    taken = dossier.events.filter(seq__lte=upto).select_related("actor").order_by("seq")
    received = False
    steps = []
    for step in taken:
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


SUBMITTED_FILE_KINDS = {
    "application/pdf": "Tệp PDF",
    "image/jpeg": "Ảnh chụp (JPEG)",
    "image/png": "Ảnh chụp (PNG)",
}


def _submission_context(dossier: Dossier, event: DossierEvent) -> dict[str, Any]:
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
        "fee_text": fee_text(dossier.fee),
        "paid": dossier.paid_at is not None,
        "agency_name": dossier.agency.name,
    }


BUILDERS: dict[str, Callable[[Dossier, DossierEvent], dict[str, Any]]] = {
    Kind.RECEIPT: _receipt_context,
    Kind.SUPPLEMENT: _supplement_context,
    Kind.REFUSAL: _refusal_context,
    Kind.APOLOGY: _apology_context,
    Kind.TRACKING: _tracking_context,
    Kind.SUBMISSION: _submission_context,
}
