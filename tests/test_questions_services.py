"""Questions and answers (engagement.services, engagement.selectors): the due
day in working days, who may answer, moderate and pin, the states, the notice
to the asker, the text's cleaning."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.utils import timezone

from citizens.models import Role, User
from egov.errors import ConflictError, PermissionDeniedError, ValidationFailed
from engagement import selectors, services
from engagement.models import Question
from onecounter.models import Notification
from tests.factories import AgencyFactory, MembershipFactory, ProcedureFactory, UserFactory
from workdays.models import CalendarDay

pytestmark = pytest.mark.django_db

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
TEXT = "Tôi cần mang những giấy tờ gì khi đăng ký khai sinh cho con?"
ANSWER = "Anh/chị mang giấy chứng sinh và giấy tờ tùy thân của cha mẹ."


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=HANOI)


def staff(agency, role) -> User:
    """A fresh user with one role in ``agency`` (its roles not read yet)."""
    return User.objects.get(pk=MembershipFactory(agency=agency, role=role).user_id)


@pytest.fixture
def agency(db):
    return AgencyFactory(code="UBLB", name="UBND phường Long Biên")


@pytest.fixture
def other_agency(db):
    return AgencyFactory(code="UBBD", name="UBND phường Bồ Đề")


@pytest.fixture
def procedure(agency, other_agency):
    procedure = ProcedureFactory(name="Đăng ký khai sinh")
    procedure.offered_by.add(agency, other_agency)
    return procedure


@pytest.fixture
def asker(db):
    return UserFactory(full_name="Nguyễn Văn An", email="an@example.vn")


@pytest.fixture
def officer(agency):
    return staff(agency, Role.OFFICER)


@pytest.fixture
def head(agency):
    return staff(agency, Role.HEAD)


@pytest.fixture
def catalog_admin(db):
    return staff(AgencyFactory(code="STP", name="Sở Tư pháp"), Role.CATALOG_ADMIN)


@pytest.fixture
def frozen(monkeypatch):
    """Set the clock the services read (``timezone.now``)."""

    def freeze(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


def ask(asker, procedure, agency, text=TEXT) -> Question:
    return services.question_ask(user=asker, procedure=procedure, agency=agency, text=text)


def answered(asker, procedure, agency, officer) -> Question:
    question = ask(asker, procedure, agency)
    return services.question_answer(user=officer, question=question, answer=ANSWER)


def published(asker, procedure, agency, officer, moderator) -> Question:
    question = answered(asker, procedure, agency, officer)
    return services.question_moderate(
        user=moderator,
        question=question,
        publish=True,
        public_question="Cần giấy tờ gì để đăng ký khai sinh?",
        public_answer="Giấy chứng sinh và giấy tờ tùy thân của cha mẹ.",
    )


# --- The due day ------------------------------------------------------------------------------


@pytest.fixture
def holiday_thursday(db):
    """Thursday 5 March 2026 made a day off (Wednesday 4 March is the day before)."""
    CalendarDay.objects.update_or_create(
        date=dt.date(2026, 3, 5), defaults={"kind": CalendarDay.Kind.HOLIDAY, "name": "Nghỉ lễ"}
    )


def test_a_question_on_the_wednesday_before_a_holiday_skips_it_and_the_weekend(
    frozen, holiday_thursday, asker, procedure, agency
):
    # Given Thursday 5 March a holiday, when asked Wednesday 4 March at 10:00 (5 days),
    # then the days are Fri 6, Mon 9, Tue 10, Wed 11, Thu 12 March.
    frozen(at(2026, 3, 4, 10))
    question = ask(asker, procedure, agency)
    assert question.asked_at == at(2026, 3, 4, 10)
    assert question.due_on == dt.date(2026, 3, 12)
    assert question.code.startswith("HD2603") and len(question.code) == 12


def test_after_15_00_the_days_count_from_the_next_working_day(
    frozen, holiday_thursday, asker, procedure, agency
):
    # Received Wednesday at 15:00: counts as received Friday 6 March (Thursday is off).
    frozen(at(2026, 3, 4, 14, 59))
    assert ask(asker, procedure, agency).due_on == dt.date(2026, 3, 12)
    frozen(at(2026, 3, 4, 15, 0))
    assert ask(asker, procedure, agency).due_on == dt.date(2026, 3, 13)


def test_the_procedures_own_days_for_questions_count(
    frozen, holiday_thursday, asker, procedure, agency
):
    procedure.question_days = 2
    procedure.save(update_fields=["question_days"])
    frozen(at(2026, 3, 4, 10))
    assert ask(asker, procedure, agency).due_on == dt.date(2026, 3, 9)


def test_a_question_is_late_only_while_waiting_after_its_day(asker, procedure, agency, officer):
    question = ask(asker, procedure, agency)
    due = question.due_on
    assert not question.is_late(due)
    assert question.is_late(due + dt.timedelta(days=1))
    answered_question = services.question_answer(user=officer, question=question, answer=ANSWER)
    assert not answered_question.is_late(due + dt.timedelta(days=30))


def test_the_queue_lists_the_late_ones_and_counts_them(asker, procedure, agency, officer):
    late = ask(asker, procedure, agency)
    Question.objects.filter(pk=late.pk).update(due_on=dt.date(2026, 3, 2))
    waiting = ask(asker, procedure, agency)
    Question.objects.filter(pk=waiting.pk).update(due_on=dt.date(2026, 3, 20))
    to_moderate = answered(asker, procedure, agency, officer)
    Question.objects.filter(pk=to_moderate.pk).update(due_on=dt.date(2026, 3, 1))
    today = dt.date(2026, 3, 10)

    assert [q.code for q in selectors.queue([agency], late=True, today=today)] == [late.code]
    assert [q.code for q in selectors.queue([agency], today=today)] == [
        late.code,
        waiting.code,
        to_moderate.code,
    ]
    assert selectors.counts([agency], today=today) == {"waiting": 2, "late": 1, "to_moderate": 1}


# --- Who may do what --------------------------------------------------------------------------


def test_only_a_signed_in_person_may_ask(procedure, agency):
    with pytest.raises(PermissionDeniedError):
        ask(AnonymousUser(), procedure, agency)
    assert not Question.objects.exists()


def test_an_officer_of_another_agency_cannot_answer(asker, procedure, agency, other_agency):
    question = ask(asker, procedure, agency)
    with pytest.raises(PermissionDeniedError) as refused:
        services.question_answer(
            user=staff(other_agency, Role.OFFICER), question=question, answer=ANSWER
        )
    assert refused.value.code == "forbidden"
    question.refresh_from_db()
    assert question.status == Question.Status.ASKED and question.answer == ""


@pytest.mark.parametrize("role", [Role.CLERK, Role.CATALOG_ADMIN, Role.STATISTICIAN])
def test_a_clerk_and_other_roles_cannot_answer(asker, procedure, agency, role):
    question = ask(asker, procedure, agency)
    with pytest.raises(PermissionDeniedError):
        services.question_answer(user=staff(agency, role), question=question, answer=ANSWER)


def test_a_citizen_cannot_answer_moderate_or_pin(asker, procedure, agency, officer, head):
    question = published(asker, procedure, agency, officer, head)
    for step in (
        lambda: services.question_answer(user=asker, question=question, answer=ANSWER),
        lambda: services.question_moderate(user=asker, question=question, publish=False),
        lambda: services.question_pin(user=asker, question=question, pinned=True),
    ):
        with pytest.raises(PermissionDeniedError):
            step()
    question.refresh_from_db()
    assert question.status == Question.Status.PUBLISHED and not question.is_faq


def test_the_head_answers_and_moderates_their_own_agencys_questions_only(
    asker, procedure, agency, other_agency, head
):
    own = services.question_answer(user=head, question=ask(asker, procedure, agency), answer=ANSWER)
    services.question_moderate(user=head, question=own, publish=False)
    foreign = answered(asker, procedure, other_agency, staff(other_agency, Role.OFFICER))
    with pytest.raises(PermissionDeniedError):
        services.question_moderate(
            user=head, question=foreign, publish=True, public_question="Q?", public_answer="A."
        )
    foreign.refresh_from_db()
    assert foreign.status == Question.Status.ANSWERED and foreign.moderated_by is None


def test_an_officer_cannot_moderate(asker, procedure, agency, officer):
    question = answered(asker, procedure, agency, officer)
    with pytest.raises(PermissionDeniedError):
        services.question_moderate(user=officer, question=question, publish=False)


def test_a_catalog_administrator_moderates_and_pins_any_agencys(
    asker, procedure, other_agency, catalog_admin
):
    question = published(
        asker, procedure, other_agency, staff(other_agency, Role.OFFICER), catalog_admin
    )
    assert question.moderated_by == catalog_admin
    pinned = services.question_pin(user=catalog_admin, question=question, pinned=True, order=3)
    assert (pinned.is_faq, pinned.faq_order) == (True, 3)
    assert [q.code for q in selectors.faq(procedure.pk)] == [question.code]
    unpinned = services.question_pin(user=catalog_admin, question=question, pinned=False)
    assert (unpinned.is_faq, unpinned.faq_order) == (False, 0)


def test_a_head_cannot_pin(asker, procedure, agency, officer, head):
    question = published(asker, procedure, agency, officer, head)
    with pytest.raises(PermissionDeniedError):
        services.question_pin(user=head, question=question, pinned=True)


# --- The states -------------------------------------------------------------------------------


def test_moderating_needs_an_answer_first(asker, procedure, agency, head):
    question = ask(asker, procedure, agency)
    with pytest.raises(ConflictError) as refused:
        services.question_moderate(
            user=head, question=question, publish=True, public_question="Q?", public_answer="A."
        )
    assert (refused.value.code, refused.value.http_status) == ("conflict", 409)
    question.refresh_from_db()
    assert question.status == Question.Status.ASKED


@pytest.mark.parametrize("publish", [True, False])
def test_the_answer_cannot_change_after_moderation(
    asker, procedure, agency, officer, head, publish
):
    question = answered(asker, procedure, agency, officer)
    services.question_moderate(
        user=head, question=question, publish=publish, public_question="Q?", public_answer="A."
    )
    with pytest.raises(ConflictError):
        services.question_answer(user=officer, question=question, answer="Một câu trả lời khác.")
    question.refresh_from_db()
    assert question.answer == ANSWER


def test_publishing_stores_the_edited_text_and_its_folded_search_text(
    asker, procedure, agency, officer, head
):
    question = published(asker, procedure, agency, officer, head)
    question.refresh_from_db()
    assert question.status == Question.Status.PUBLISHED
    assert question.public_question == "Cần giấy tờ gì để đăng ký khai sinh?"
    assert question.public_answer == "Giấy chứng sinh và giấy tờ tùy thân của cha mẹ."
    assert question.text == TEXT and question.answer == ANSWER  # the originals are kept
    assert question.search_text == (
        "can giay to gi de dang ky khai sinh? giay chung sinh va giay to tuy than cua cha me."
    )
    assert question.moderated_by == head and question.moderated_at is not None
    assert [q.code for q in selectors.published(query="GIAY CHUNG sinh")] == [question.code]
    assert [q.code for q in selectors.published(procedure_code=procedure.code)] == [question.code]
    assert not selectors.published(query="hộ khẩu").exists()
    assert not selectors.published(procedure_code="9.999999").exists()


def test_publishing_needs_both_texts(asker, procedure, agency, officer, head):
    question = answered(asker, procedure, agency, officer)
    with pytest.raises(ValidationFailed) as refused:
        services.question_moderate(
            user=head, question=question, publish=True, public_question="Hỏi?", public_answer=" "
        )
    assert list(refused.value.data) == ["public_answer"]


def test_keeping_it_private_withdraws_it_and_clears_the_faq(
    asker, procedure, agency, officer, head, catalog_admin
):
    question = published(asker, procedure, agency, officer, head)
    services.question_pin(user=catalog_admin, question=question, pinned=True)
    private = services.question_moderate(user=head, question=question, publish=False)
    private.refresh_from_db()
    assert private.status == Question.Status.PRIVATE
    assert (private.is_faq, private.search_text) == (False, "")
    assert not selectors.published().exists()
    assert selectors.faq(procedure.pk) == []


def test_only_a_published_question_can_be_pinned(
    asker, procedure, agency, officer, head, catalog_admin
):
    question = answered(asker, procedure, agency, officer)
    with pytest.raises(ConflictError):
        services.question_pin(user=catalog_admin, question=question, pinned=True)
    services.question_moderate(user=head, question=question, publish=False)
    with pytest.raises(ConflictError):
        services.question_pin(user=catalog_admin, question=question, pinned=True)
    question.refresh_from_db()
    assert not question.is_faq


# --- The notice to the asker ------------------------------------------------------------------


def test_answering_notifies_the_asker_once_after_commit(
    asker, procedure, agency, officer, django_capture_on_commit_callbacks
):
    question = ask(asker, procedure, agency)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.question_answer(user=officer, question=question, answer=ANSWER)
        assert mail.outbox == []  # not before the commit
    assert len(callbacks) == 1
    notification = Notification.objects.get()
    assert notification.user == asker and notification.dossier is None
    assert notification.email == asker.email
    assert question.code in notification.subject
    assert "Long Biên" in notification.body and procedure.name in notification.body
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [asker.email]
    assert mail.outbox[0].subject == notification.subject
    notification.refresh_from_db()
    assert notification.email_sent_at is not None

    # A correction before moderation changes the answer without a second notice.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        corrected = services.question_answer(
            user=officer, question=question, answer="Câu trả lời đã sửa, đầy đủ hơn."
        )
    assert callbacks == []
    assert corrected.answer == "Câu trả lời đã sửa, đầy đủ hơn."
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_refused_answer_notifies_nobody(
    asker, procedure, agency, other_agency, django_capture_on_commit_callbacks
):
    question = ask(asker, procedure, agency)
    intruder = staff(other_agency, Role.OFFICER)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(PermissionDeniedError),
    ):
        services.question_answer(user=intruder, question=question, answer=ANSWER)
    assert callbacks == [] and not Notification.objects.exists()


# --- The text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t  ", "Ngắn quá", "<b></b>", "<script>alert(1)</script>", "x" * 2001],
    ids=["empty", "whitespace", "under-10", "only-markup", "script-under-10", "over-2000"],
)
def test_a_bad_question_is_refused_naming_the_field(asker, procedure, agency, text):
    with pytest.raises(ValidationFailed) as refused:
        ask(asker, procedure, agency, text)
    assert refused.value.code == "invalid"
    assert list(refused.value.data) == ["text"]
    assert refused.value.data["text"] == [str(refused.value.message)]
    assert not Question.objects.exists()


def test_the_limits_are_10_and_2000_characters_after_trimming(asker, procedure, agency):
    assert ask(asker, procedure, agency, "  " + "x" * 10 + "  ").text == "x" * 10
    assert len(ask(asker, procedure, agency, "x" * 2000).text) == 2000


def test_markup_is_removed_and_line_breaks_kept(asker, procedure, agency):
    question = ask(
        asker,
        procedure,
        agency,
        "Xin hỏi <script>alert(1)</script> thủ tục này   \r\n<b>mất</b> bao lâu?",
    )
    assert question.text == "Xin hỏi alert(1) thủ tục này\nmất bao lâu?"
    assert "<" not in question.text


def test_an_empty_answer_is_refused(asker, procedure, agency, officer):
    question = ask(asker, procedure, agency)
    with pytest.raises(ValidationFailed) as refused:
        services.question_answer(user=officer, question=question, answer="  <p></p> ")
    assert list(refused.value.data) == ["answer"]
    question.refresh_from_db()
    assert question.status == Question.Status.ASKED


def test_an_agency_not_offering_the_procedure_is_refused(asker, procedure, agency):
    elsewhere = AgencyFactory(code="UBHK")
    with pytest.raises(ValidationFailed) as refused:
        ask(asker, procedure, elsewhere)
    assert list(refused.value.data) == ["agency"]
    agency.is_active = False
    agency.save(update_fields=["is_active"])
    with pytest.raises(ValidationFailed):
        ask(asker, procedure, agency)
    assert not Question.objects.exists()


# --- Reading ----------------------------------------------------------------------------------


def test_the_asker_and_the_staff_read_only_their_own(asker, procedure, agency, other_agency):
    mine = ask(asker, procedure, agency)
    theirs = ask(UserFactory(), procedure, other_agency)
    assert list(selectors.of_asker(asker)) == [mine]
    assert selectors.for_staff([agency], mine.code) == mine
    assert selectors.for_staff([agency], theirs.code) is None


def test_the_pairs_of_a_withdrawn_procedure_are_no_longer_public(
    asker, procedure, agency, officer, head
):
    pair = published(asker, procedure, agency, officer, head)
    assert list(selectors.published()) == [pair]
    procedure.is_published = False
    procedure.save(update_fields=["is_published"])
    assert list(selectors.published()) == []
    assert list(selectors.published(procedure_code=procedure.code)) == []


def test_an_account_may_ask_only_so_many_questions_an_hour(asker, procedure, agency, settings):
    from engagement.limits import TooMany

    settings.EGOV_QUESTIONS_MAX_PER_HOUR = 2
    ask(asker, procedure, agency)
    ask(asker, procedure, agency)
    with pytest.raises(TooMany) as refused:
        ask(asker, procedure, agency)
    assert refused.value.http_status == 429
    assert Question.objects.filter(asker=asker).count() == 2
