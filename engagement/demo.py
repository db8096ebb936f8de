"""Demo questions and feedback (``manage.py seed_engagement``, after
``seed_demo``): every step of both, at the demo ward of Long Biên, so that the
officer, the head and the catalog administrator find work on first sign-in
and the public pages show answers. Made through the services (the deadlines
are the calendar's), then moved back in time where a row must be late.
Safe to run again: a database that has them is left as it is."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from citizens.demo import CITIZEN_EMAIL
from citizens.models import Agency, User
from engagement import feedback, services
from engagement.models import Feedback, FeedbackCategory, Question
from procedures.models import Procedure

AGENCY = "UBLB"
OFFICER = "tuphap@longbien.demo"
HEAD = "chutich@longbien.demo"
CATALOG_ADMIN = "danhmuc@hanoi.demo"


@dataclass(frozen=True)
class DemoQuestion:
    procedure: str
    text: str
    answer: str = ""
    publish: bool = False
    faq: int | None = None
    days_ago: int = 0  # asked this many calendar days ago


QUESTIONS = [
    DemoQuestion(
        "1.001193",
        "Con tôi sinh ở bệnh viện tại quận khác, bố mẹ thường trú ở phường Long Biên. "
        "Tôi đăng ký khai sinh cho cháu ở đâu?",
        "Ông/bà đăng ký khai sinh tại Ủy ban nhân dân cấp xã nơi cư trú của cha hoặc mẹ, "
        "tức là UBND phường Long Biên, trực tiếp tại Bộ phận một cửa hoặc trực tuyến trên "
        "Cổng dịch vụ công. Nơi sinh của cháu không làm thay đổi nơi đăng ký.",
        publish=True,
        faq=1,
        days_ago=40,
    ),
    DemoQuestion(
        "1.001193",
        "Đăng ký khai sinh trực tuyến có phải nộp lệ phí không, và bao lâu thì có kết quả?",
        "Đăng ký khai sinh đúng hạn (trong 60 ngày kể từ ngày sinh) được miễn lệ phí. Kết "
        "quả được trả ngay trong ngày làm việc khi hồ sơ đầy đủ; bản điện tử có mã QR "
        "được gửi vào kho giấy tờ của ông/bà.",
        publish=True,
        faq=2,
        days_ago=30,
    ),
    DemoQuestion(
        "1.004194",
        "Sau khi làm khai sinh cho con, tôi có phải làm thủ tục đăng ký thường trú riêng không?",
        "Khi đăng ký khai sinh liên thông trên Cổng, hồ sơ được chuyển sang Công an phường để "
        "đăng ký thường trú và sang Bảo hiểm xã hội để cấp thẻ bảo hiểm y tế cho cháu; ông/bà "
        "không phải nộp lại hồ sơ.",
        publish=True,
        days_ago=20,
    ),
    DemoQuestion(
        "1.000894",
        "Tôi và vợ sắp cưới đều có hộ khẩu ở Long Biên. Chúng tôi có cần mang theo giấy xác "
        "nhận tình trạng hôn nhân không?",
        "Khi hai bên cùng cư trú tại phường, cán bộ tư pháp tra cứu tình trạng hôn nhân trong "
        "cơ sở dữ liệu hộ tịch; anh chị không cần nộp giấy xác nhận.",
        days_ago=6,
    ),
    DemoQuestion(
        "1.000656",
        "Bố tôi mất ở nhà, tôi cần những giấy tờ gì để đăng ký khai tử và trong thời hạn bao lâu?",
        days_ago=14,
    ),
    DemoQuestion(
        "1.001193",
        "Giấy chứng sinh của cháu bị ghi sai một chữ trong tên mẹ. Tôi có làm khai sinh được không?",
        days_ago=1,
    ),
]


@dataclass(frozen=True)
class DemoFeedback:
    category: str
    kind: str
    subject: str
    body: str
    step: str
    answer: str = ""
    reason: str = ""
    rating: int | None = None
    consent: bool = True
    days_ago: int = 0


FEEDBACK = [
    DemoFeedback(
        "giai-quyet-ho-so",
        Feedback.Kind.FEEDBACK,
        "Hồ sơ đăng ký thường trú bị trễ hẹn",
        "Tôi nộp hồ sơ đăng ký thường trú cho con tại Bộ phận một cửa, giấy hẹn ghi ngày trả "
        "kết quả đã qua ba ngày mà chưa nhận được kết quả hay thư xin lỗi.",
        Feedback.Step.RECEIVED,
        days_ago=12,
    ),
    DemoFeedback(
        "quy-dinh-hanh-chinh",
        Feedback.Kind.RECOMMENDATION,
        "Đề nghị bỏ yêu cầu bản sao chứng thực khi nộp trực tuyến",
        "Khi nộp hồ sơ trực tuyến, thủ tục vẫn yêu cầu bản sao có chứng thực giấy tờ đã có "
        "trong cơ sở dữ liệu dân cư. Đề nghị bỏ yêu cầu này để người dân không phải đi lại.",
        Feedback.Step.ACCEPTED,
        days_ago=3,
    ),
    DemoFeedback(
        "thai-do-phuc-vu",
        Feedback.Kind.FEEDBACK,
        "Cán bộ một cửa hướng dẫn chưa rõ",
        "Tôi đến hỏi thủ tục đăng ký kết hôn, cán bộ chỉ nói thiếu giấy tờ mà không ghi phiếu "
        "hướng dẫn, tôi phải đi lại hai lần.",
        Feedback.Step.ASSIGNED,
        days_ago=5,
    ),
    DemoFeedback(
        "cong-dich-vu-cong",
        Feedback.Kind.RECOMMENDATION,
        "Đề nghị gửi tin nhắn khi hồ sơ cần bổ sung",
        "Hồ sơ của tôi cần bổ sung nhưng tôi chỉ biết khi vào Cổng kiểm tra. Đề nghị gửi tin "
        "nhắn SMS ngay khi có yêu cầu bổ sung.",
        Feedback.Step.ANSWERED,
        answer="Cảm ơn ông/bà. Từ tháng này, mỗi yêu cầu bổ sung đều được gửi thư điện tử và tin "
        "nhắn SMS tới số điện thoại trong tài khoản; thời hạn giải quyết tạm dừng cho tới khi "
        "ông/bà nộp bổ sung.",
        days_ago=9,
    ),
    DemoFeedback(
        "giai-quyet-ho-so",
        Feedback.Kind.FEEDBACK,
        "Kết quả khai sinh có sai sót chính tả",
        "Bản điện tử giấy khai sinh của con tôi ghi sai dấu trong tên đệm so với tờ khai.",
        Feedback.Step.PUBLISHED,
        answer="Phường đã kiểm tra: sai sót do nhập liệu. Giấy khai sinh đã được cải chính và cấp "
        "lại bản điện tử trong ngày, không thu phí. Cán bộ nhập liệu đã được nhắc nhở.",
        rating=4,
        days_ago=25,
    ),
    DemoFeedback(
        "quy-dinh-hanh-chinh",
        Feedback.Kind.RECOMMENDATION,
        "Đề nghị miễn phí đăng ký kết hôn",
        "Đề nghị phường miễn lệ phí đăng ký kết hôn cho tất cả mọi người.",
        Feedback.Step.REFUSED,
        reason="Lệ phí đăng ký kết hôn do Hội đồng nhân dân thành phố quy định, không thuộc "
        "thẩm quyền của phường; ông/bà có thể gửi kiến nghị tới Sở Tư pháp.",
        days_ago=15,
    ),
]


def _back(model, pk, days: int, **fields) -> None:
    """Move a row ``days`` calendar days back in time."""
    if days:
        delta = dt.timedelta(days=days)
        model.objects.filter(pk=pk).update(
            **{name: value - delta for name, value in fields.items() if value}
        )


@transaction.atomic
def seed() -> dict[str, int]:
    if Question.objects.exists() or Feedback.objects.filter(sender__email=CITIZEN_EMAIL).exists():
        return {"questions": 0, "feedback": 0}
    agency = Agency.objects.get(code=AGENCY)
    citizen = User.objects.get(email=CITIZEN_EMAIL)
    officer = User.objects.get(email=OFFICER)
    head = User.objects.get(email=HEAD)
    admin = User.objects.get(email=CATALOG_ADMIN)
    questions = 0
    for q_spec in QUESTIONS:
        procedure = Procedure.objects.filter(code=q_spec.procedure, offered_by=agency).first()
        if procedure is None:
            continue
        q = services.question_ask(
            user=citizen, procedure=procedure, agency=agency, text=q_spec.text
        )
        if q_spec.answer:
            q = services.question_answer(user=officer, question=q, answer=q_spec.answer)
        if q_spec.publish:
            q = services.question_moderate(
                user=head, question=q, publish=True, public_question=q.text, public_answer=q.answer
            )
        if q_spec.faq is not None:
            services.question_pin(user=admin, question=q, pinned=True, order=q_spec.faq)
        _back(
            Question,
            q.pk,
            q_spec.days_ago,
            asked_at=q.asked_at,
            due_on=q.due_on,
            answered_at=q.answered_at,
            moderated_at=q.moderated_at,
        )
        questions += 1
    items = 0
    for spec in FEEDBACK:
        item = feedback.feedback_send(
            user=citizen,
            kind=spec.kind,
            category=FeedbackCategory.objects.get(code=spec.category),
            agency=agency,
            subject=spec.subject,
            body=spec.body,
            consent_publish=spec.consent,
            limited=False,
        )
        if spec.step == Feedback.Step.REFUSED:
            item = feedback.feedback_refuse(user=head, feedback=item, reason=spec.reason)
        elif spec.step != Feedback.Step.RECEIVED:
            item = feedback.feedback_accept(user=head, feedback=item)
            if spec.step != Feedback.Step.ACCEPTED:
                item = feedback.feedback_assign(user=head, feedback=item, officer=officer)
            if spec.answer:
                item = feedback.feedback_answer(user=officer, feedback=item, answer=spec.answer)
            if spec.step == Feedback.Step.PUBLISHED:
                item = feedback.feedback_publish(
                    user=head, feedback=item, public_summary=item.body, public_answer=item.answer
                )
            if spec.rating:
                item = feedback.feedback_rate(feedback=item, score=spec.rating)
        _back(
            Feedback,
            item.pk,
            spec.days_ago,
            created_at=item.created_at,
            received_at=item.received_at,
            step_due_on=item.step_due_on,
            answered_at=item.answered_at,
            published_at=item.published_at,
        )
        for event in item.events.all():
            _back(type(event), event.pk, spec.days_ago, at=event.at, due_on=event.due_on)
        items += 1
    return {"questions": questions, "feedback": items}
