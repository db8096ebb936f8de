"""The questions and answers' pages (engagement.views, engagement.views_backoffice):
asking on a procedure's page, the asker's own pages, the public answers
(searchable without diacritics, never showing the asker or their own words),
the back office's queue and question page, and who is refused."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from citizens.models import IdentityLink, Role, User
from engagement import services
from engagement.models import Question
from onecounter.models import Notification
from tests.conftest import enrol_totp
from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    PersonFactory,
    ProcedureFactory,
    UserFactory,
    WardFactory,
)

pytestmark = pytest.mark.django_db

TEXT = "Tôi cần mang những giấy tờ gì khi đăng ký khai sinh cho con? Số CCCD 001095012345."
ANSWER = "Anh/chị mang giấy chứng sinh của bệnh viện và giấy tờ tùy thân của cha mẹ."
PUBLIC_Q = "Khi đăng ký khai sinh cần mang giấy tờ gì?"
PUBLIC_A = "Mang giấy chứng sinh và giấy tờ tùy thân của cha mẹ."


@pytest.fixture(autouse=True)
def _english(client):
    """Assertions read the English texts; Vietnamese is the default at run time."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def agency(db):
    return AgencyFactory(code="UBLB", name="UBND phường Long Biên")


@pytest.fixture
def other_agency(db):
    return AgencyFactory(code="UBBD", name="UBND phường Bồ Đề")


@pytest.fixture
def procedure(agency, other_agency):
    procedure = ProcedureFactory(name="Đăng ký khai sinh", code="1.001193")
    procedure.offered_by.add(agency, other_agency)
    return procedure


@pytest.fixture
def asker(db):
    return UserFactory(full_name="Phạm Thị Hỏi", email="nguoihoi@example.vn")


def staff(agency, role) -> User:
    user = MembershipFactory(agency=agency, role=role).user
    enrol_totp(user)
    return User.objects.get(pk=user.pk)


def ask(asker, procedure, agency, text=TEXT) -> Question:
    return services.question_ask(user=asker, procedure=procedure, agency=agency, text=text)


def answered(asker, procedure, agency, text=TEXT) -> Question:
    question = ask(asker, procedure, agency, text)
    return services.question_answer(
        user=staff(agency, Role.OFFICER), question=question, answer=ANSWER
    )


def published(asker, procedure, agency, *, public_q=PUBLIC_Q, public_a=PUBLIC_A, faq=False):
    question = answered(asker, procedure, agency)
    question = services.question_moderate(
        user=staff(agency, Role.HEAD),
        question=question,
        publish=True,
        public_question=public_q,
        public_answer=public_a,
    )
    if faq:
        admin = staff(AgencyFactory(), Role.CATALOG_ADMIN)
        question = services.question_pin(user=admin, question=question, pinned=True, order=1)
    return question


def ask_url(procedure) -> str:
    return reverse("questions:procedure", args=[procedure.code])


def field_error(html: str, name: str) -> str:
    """The error message shown above the field ``name`` ("" when none)."""
    match = re.search(rf'<p class="error-message" id="id_{name}_error">(.*?)</p>', html, re.S)
    return match.group(1) if match else ""


# --- Asking ---------------------------------------------------------------------------


def test_a_signed_in_person_asks_and_lands_on_their_question_with_its_code_and_due_date(
    client, asker, procedure, other_agency
):
    client.force_login(asker)
    response = client.post(ask_url(procedure), {"agency": "UBBD", "text": TEXT}, follow=True)

    question = Question.objects.get()
    assert question.asker == asker and question.agency == other_agency
    assert response.redirect_chain[-1][0] == reverse("questions:mine-detail", args=[question.code])
    html = response.content.decode()
    assert question.code in html
    assert question.due_on.strftime("%d/%m/%Y") in html
    assert 'class="notice notice--success"' in html


def test_an_empty_question_is_shown_again_with_the_error_next_to_the_text(client, asker, procedure):
    client.force_login(asker)
    response = client.post(ask_url(procedure), {"agency": "UBBD", "text": "   "})

    assert response.status_code == 400
    assert not Question.objects.exists()
    html = response.content.decode()
    assert "it is empty" in field_error(html, "text")
    assert 'class="error-summary"' in html
    # The agency chosen is still chosen.
    assert re.search(r'<option value="UBBD" selected>', html)


def test_a_question_too_long_is_shown_again_with_what_was_typed(client, asker, procedure):
    client.force_login(asker)
    text = "Câu hỏi dài " + "x" * (2001 - len("Câu hỏi dài "))
    assert len(text) == 2001
    response = client.post(ask_url(procedure), {"agency": "UBLB", "text": text})

    assert response.status_code == 400
    assert not Question.objects.exists()
    html = response.content.decode()
    assert "at most 2000 characters (you wrote 2001)" in field_error(html, "text")
    assert text in html  # in the textarea, as typed
    assert 'aria-invalid="true"' in html


def test_markup_in_a_question_is_removed_and_never_rendered_raw(client, asker, procedure):
    client.force_login(asker)
    typed = "<script>alert('hỏi')</script><b>Xin hỏi</b> về giấy tờ khai sinh cho con."
    response = client.post(ask_url(procedure), {"agency": "UBLB", "text": typed})

    question = Question.objects.get()
    assert "<" not in question.text and "Xin hỏi về giấy tờ khai sinh" in question.text
    assert response.status_code == 302
    page = client.get(reverse("questions:mine-detail", args=[question.code])).content.decode()
    assert "<script>alert" not in page and "<b>Xin" not in page

    officer = staff(question.agency, Role.OFFICER)
    client.force_login(officer)
    page = client.get(reverse("questions:detail", args=[question.code])).content.decode()
    assert "<script>alert" not in page and "Xin hỏi về giấy tờ khai sinh" in page


def test_markup_typed_into_a_refused_question_comes_back_escaped(client, asker, procedure):
    client.force_login(asker)
    typed = "<script>x</script>ngắn"
    response = client.post(ask_url(procedure), {"agency": "UBLB", "text": typed})

    assert response.status_code == 400  # "xngắn" is too short
    html = response.content.decode()
    assert "Write at least 10 characters" in field_error(html, "text")
    assert "<script>x" not in html
    assert "&lt;script&gt;x&lt;/script&gt;ngắn" in html


def test_an_agency_not_offering_the_procedure_is_refused(client, asker, procedure):
    AgencyFactory(code="UBHK")
    client.force_login(asker)
    response = client.post(ask_url(procedure), {"agency": "UBHK", "text": TEXT})

    assert response.status_code == 400
    assert field_error(response.content.decode(), "agency")
    assert not Question.objects.exists()


def test_the_agency_covering_the_askers_ward_is_chosen_first(client, asker, procedure, agency):
    home = WardFactory()
    other_agency = procedure.offered_by.exclude(pk=agency.pk).get()
    other_agency.unit = home
    other_agency.save()
    IdentityLink.objects.create(
        user=asker, person=PersonFactory(permanent_unit=home), level=1, method="self"
    )
    client.force_login(asker)
    html = client.get(ask_url(procedure)).content.decode()
    assert re.search(rf'<option value="{other_agency.code}" selected>', html)


def test_an_anonymous_visitor_is_offered_to_sign_in_and_cannot_post(client, procedure):
    url = ask_url(procedure)
    html = client.get(url).content.decode()
    assert f'href="{reverse("account_login")}?next={url}"' in html.replace("%2F", "/")
    assert 'name="text"' not in html

    response = client.post(url, {"agency": "UBLB", "text": TEXT})
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert not Question.objects.exists()


def test_an_unpublished_procedure_has_no_questions_page(client, procedure):
    procedure.is_published = False
    procedure.save()
    assert client.get(ask_url(procedure)).status_code == 404


# --- The asker's pages ----------------------------------------------------------------


def test_the_asker_lists_their_questions_and_reads_the_answer(client, asker, procedure, agency):
    waiting = ask(asker, procedure, agency)
    done = answered(asker, procedure, agency)
    ask(UserFactory(), procedure, agency, text="Câu hỏi của một người khác về khai sinh.")

    client.force_login(asker)
    html = client.get(reverse("questions:mine")).content.decode()
    assert html.count("data-question=") == 2
    assert waiting.code in html and done.code in html
    assert 'aria-current="page"' in html and "My questions" in html

    page = client.get(reverse("questions:mine-detail", args=[done.code])).content.decode()
    assert ANSWER in page and "Số CCCD 001095012345" in page  # their own words, to them


def test_a_late_question_is_flagged_in_my_questions(client, asker, procedure, agency):
    question = ask(asker, procedure, agency)
    Question.objects.filter(pk=question.pk).update(due_on="2020-01-02")
    client.force_login(asker)
    html = client.get(reverse("questions:mine")).content.decode()
    assert 'data-flag="late"' in html


def test_a_citizen_cannot_open_another_persons_question(client, asker, procedure, agency):
    question = ask(asker, procedure, agency)
    client.force_login(UserFactory())
    assert client.get(reverse("questions:mine-detail", args=[question.code])).status_code == 404
    assert question.code not in client.get(reverse("questions:mine")).content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in_for_my_questions(client, asker, procedure, agency):
    question = ask(asker, procedure, agency)
    for url in (reverse("questions:mine"), reverse("questions:mine-detail", args=[question.code])):
        response = client.get(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"]


# --- The public pages -----------------------------------------------------------------


def test_public_pages_show_only_the_moderated_pair(client, asker, procedure, agency):
    faq = published(asker, procedure, agency, faq=True)
    other = published(
        asker, procedure, agency, public_q="Lệ phí khai sinh là bao nhiêu?", public_a="Miễn phí."
    )
    answered(asker, procedure, agency)  # not moderated: never shown

    pages = {
        "all": client.get(reverse("questions:list")).content.decode(),
        "procedure": client.get(ask_url(procedure)).content.decode(),
        "procedure page": client.get(
            reverse("procedures:detail", args=[procedure.code])
        ).content.decode(),
    }
    for name, html in pages.items():
        assert PUBLIC_Q in html, name
        for secret in ("Phạm Thị Hỏi", "nguoihoi@example.vn", "001095012345", ANSWER):
            assert secret not in html, (name, secret)
    assert "Lệ phí khai sinh là bao nhiêu?" in pages["all"]
    assert "Lệ phí khai sinh là bao nhiêu?" in pages["procedure"]
    # The procedure's page: the pinned one as a <details>, and the two links.
    detail = pages["procedure page"]
    assert f'<details class="details" data-question="{faq.code}">' in detail
    assert other.code not in detail
    assert f'href="{ask_url(procedure)}"' in detail and f'href="{ask_url(procedure)}#ask"' in detail
    # The questions page: the pinned one first, under its own heading.
    html = pages["procedure"]
    assert html.index(f'data-question="{faq.code}"') < html.index(f'data-question="{other.code}"')
    # Each item on the site-wide page links to its procedure.
    assert f'href="{reverse("procedures:detail", args=[procedure.code])}"' in pages["all"]


def test_the_public_answers_are_found_without_diacritics(client, asker, procedure, agency):
    found = published(asker, procedure, agency)
    missed = published(
        asker, procedure, agency, public_q="Lệ phí là bao nhiêu?", public_a="Miễn phí."
    )
    for url in (reverse("questions:list"), ask_url(procedure)):
        html = client.get(url, {"q": "GIAY chung sinh"}).content.decode()
        assert f'data-question="{found.code}"' in html, url
        assert f'data-question="{missed.code}"' not in html, url
        assert 'value="GIAY chung sinh"' in html


def test_the_public_list_costs_the_same_queries_for_3_or_20_answers(client, asker, agency):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("questions:list"))
        assert response.status_code == 200
        return len(queries)

    def publish(n: int) -> None:
        for i in range(n):
            procedure = ProcedureFactory()
            procedure.offered_by.add(agency)
            Question.objects.create(
                code=f"HD0000T{Question.objects.count():05d}",
                procedure=procedure,
                agency=agency,
                asker=asker,
                text=TEXT,
                due_on="2026-01-10",
                status=Question.Status.PUBLISHED,
                answer=ANSWER,
                public_question=f"{PUBLIC_Q} {i}",
                public_answer=PUBLIC_A,
                search_text="khai sinh",
            )

    publish(3)
    three = count()
    publish(17)
    assert count() == three
    assert three <= 4


# --- The back office ------------------------------------------------------------------


def test_an_officer_sees_their_agencys_questions_only(
    client, asker, procedure, agency, other_agency
):
    own = ask(asker, procedure, agency)
    foreign = ask(asker, procedure, other_agency)
    officer = staff(agency, Role.OFFICER)
    client.force_login(officer)

    html = client.get(reverse("questions:queue")).content.decode()
    assert f'data-question="{own.code}"' in html
    assert foreign.code not in html
    assert 'data-testid="nav-questions"' in html

    assert client.get(reverse("questions:detail", args=[foreign.code])).status_code == 404
    response = client.post(reverse("questions:answer", args=[foreign.code]), {"answer": ANSWER})
    assert response.status_code == 404
    assert Question.objects.get(pk=foreign.pk).status == Question.Status.ASKED


def test_staff_without_the_roles_and_citizens_are_refused_the_queue(client, asker, agency):
    clerk = staff(agency, Role.CLERK)
    client.force_login(clerk)
    assert client.get(reverse("questions:queue")).status_code == 403
    html = client.get(reverse("backoffice:home")).content.decode()
    assert 'data-testid="nav-questions"' not in html

    client.force_login(asker)
    assert client.get(reverse("questions:queue")).status_code == 403
    client.logout()
    response = client.get(reverse("questions:queue"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_the_queue_counts_filters_and_flags_late_questions(client, asker, procedure, agency):
    late = ask(asker, procedure, agency)
    Question.objects.filter(pk=late.pk).update(due_on="2020-01-02")
    waiting = ask(asker, procedure, agency)
    done = answered(asker, procedure, agency)
    client.force_login(staff(agency, Role.HEAD))

    html = client.get(reverse("questions:queue")).content.decode()
    counts = dict(re.findall(r'data-count="(\w+)">.*?<strong[^>]*>(\d+)</strong>', html, re.S))
    assert counts == {"waiting": "2", "late": "1", "to_moderate": "1"}
    assert html.count('data-flag="late"') == 1

    html = client.get(reverse("questions:queue"), {"late": "on"}).content.decode()
    assert late.code in html and waiting.code not in html and done.code not in html
    html = client.get(reverse("questions:queue"), {"status": "answered"}).content.decode()
    assert done.code in html and late.code not in html


def test_the_officer_answers_with_errors_kept_then_corrects_the_answer(
    client, asker, procedure, agency
):
    question = ask(asker, procedure, agency)
    client.force_login(staff(agency, Role.OFFICER))
    url = reverse("questions:answer", args=[question.code])

    response = client.post(url, {"answer": "x" * 5001})
    assert response.status_code == 400
    html = response.content.decode()
    assert "you wrote 5001" in field_error(html, "answer") and "x" * 5001 in html
    assert Question.objects.get(pk=question.pk).status == Question.Status.ASKED
    assert "Phạm Thị Hỏi" in html and "nguoihoi@example.vn" not in html  # the name only

    response = client.post(url, {"answer": ANSWER}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("questions:detail", args=[question.code])
    question.refresh_from_db()
    assert question.status == Question.Status.ANSWERED and question.answer == ANSWER
    assert Notification.objects.filter(user=asker).count() == 1
    html = response.content.decode()
    assert 'id="form-answer"' in html  # still correctable
    assert 'id="form-moderate"' not in html  # an officer does not moderate

    client.post(url, {"answer": ANSWER + " Sửa lại."})
    question.refresh_from_db()
    assert question.answer.endswith("Sửa lại.")
    assert Notification.objects.filter(user=asker).count() == 1  # told once


def test_the_head_publishes_the_edited_pair_and_the_public_sees_it(
    client, asker, procedure, agency
):
    question = answered(asker, procedure, agency)
    client.force_login(staff(agency, Role.HEAD))
    page = client.get(reverse("questions:detail", args=[question.code])).content.decode()
    assert 'id="form-moderate"' in page and "001095012345" in page  # prefilled from the text
    assert 'id="form-pin"' not in page  # a head does not pin

    url = reverse("questions:moderate", args=[question.code])
    response = client.post(
        url, {"decision": "publish", "public_question": "", "public_answer": PUBLIC_A}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, "public_question") and PUBLIC_A in html
    assert Question.objects.get(pk=question.pk).status == Question.Status.ANSWERED

    response = client.post(
        url, {"decision": "publish", "public_question": PUBLIC_Q, "public_answer": PUBLIC_A}
    )
    assert response.status_code == 302
    assert Question.objects.get(pk=question.pk).status == Question.Status.PUBLISHED
    client.logout()
    html = client.get(reverse("questions:list")).content.decode()
    assert PUBLIC_Q in html and "001095012345" not in html

    client.force_login(staff(agency, Role.HEAD))
    client.post(url, {"decision": "private", "public_question": "", "public_answer": ""})
    assert Question.objects.get(pk=question.pk).status == Question.Status.PRIVATE
    client.logout()
    assert PUBLIC_Q not in client.get(reverse("questions:list")).content.decode()


def test_a_catalog_admin_moderates_and_pins_any_agencys_answered_questions(
    client, asker, procedure, agency, other_agency
):
    waiting = ask(asker, procedure, other_agency)
    done = answered(asker, procedure, other_agency)
    admin = staff(AgencyFactory(code="STP", name="Sở Tư pháp"), Role.CATALOG_ADMIN)
    client.force_login(admin)

    html = client.get(reverse("questions:queue")).content.decode()
    assert done.code in html and waiting.code not in html
    assert client.get(reverse("questions:detail", args=[waiting.code])).status_code == 404
    page = client.get(reverse("questions:detail", args=[done.code])).content.decode()
    assert 'id="form-moderate"' in page and 'id="form-answer"' not in page
    assert client.post(
        reverse("questions:answer", args=[done.code]), {"answer": "Khác."}
    ).status_code in (403, 404)

    client.post(
        reverse("questions:moderate", args=[done.code]),
        {"decision": "publish", "public_question": PUBLIC_Q, "public_answer": PUBLIC_A},
    )
    page = client.get(reverse("questions:detail", args=[done.code])).content.decode()
    assert 'id="form-pin"' in page
    client.post(reverse("questions:pin", args=[done.code]), {"pinned": "on", "order": "2"})
    done.refresh_from_db()
    assert done.is_faq and done.faq_order == 2
    client.logout()
    html = client.get(reverse("procedures:detail", args=[procedure.code])).content.decode()
    assert f'data-question="{done.code}"' in html


def test_a_pin_with_a_bad_order_is_shown_again_with_its_error(client, asker, procedure, agency):
    question = published(asker, procedure, agency)
    client.force_login(staff(AgencyFactory(), Role.CATALOG_ADMIN))
    response = client.post(
        reverse("questions:pin", args=[question.code]), {"pinned": "on", "order": "-3"}
    )
    assert response.status_code == 400
    assert field_error(response.content.decode(), "order")
    assert not Question.objects.get(pk=question.pk).is_faq


def test_the_queue_and_my_questions_cost_the_same_queries_as_rows_grow(
    client, asker, procedure, agency
):
    officer = staff(agency, Role.OFFICER)

    def count(user, url) -> int:
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for _ in range(3):
        ask(asker, procedure, agency)
    before = (count(officer, reverse("questions:queue")), count(asker, reverse("questions:mine")))
    for _ in range(9):
        ask(asker, procedure, agency)
    after = (count(officer, reverse("questions:queue")), count(asker, reverse("questions:mine")))
    assert after == before
