"""The questions and answers under /api/v1/ (included by ``egov.api``).

    GET  questions/                              published pairs (public; filters q, procedure)
    POST questions/                              ask a question (signed-in; throttled)
    GET  questions/mine/                         my questions, newest first
    GET  questions/mine/<code>/                  one of my questions, with its answer
    GET  back-office/questions/                  the staff queue (filters agency, status, late)
    GET  back-office/questions/<code>/           one question of the queue
    POST back-office/questions/<code>/answer/    answer it, or correct the answer
    POST back-office/questions/<code>/moderate/  publish it (edited) or keep it private
    POST back-office/questions/<code>/pin/       pin it as a frequent question, or unpin it

The public list shows only what a moderator published (``public_question``,
``public_answer``): never the asker nor their original words.

Citizens authenticate like the rest of the citizen API: the portal session
(with its CSRF token for POST) or ``Authorization: Token <key>``. Asking is
limited per account by the ``questions`` throttle scope
(``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["questions"]``); more answers 429
``throttled``. A question of another account is 404 ``not_found``.

Staff authenticate like the other back-office APIs (session with the second
factor, or an agency system's one-stop key). Who sees which questions:

- a processing officer or the head of an agency sees all its questions;
- a catalog administrator (or a superuser) also sees every agency's questions
  that have an answer (answered, published, kept private), the ones they
  moderate and pin; a question still waiting is only its agency's business;
- anyone else (a clerk, a citizen) gets 403 ``forbidden``.

A question the user may not see is 404 ``not_found``, the same as one that
does not exist. The steps answer as the services decide: 403 ``forbidden``
(not the user's role), 409 ``conflict`` (wrong state: moderating before the
answer, answering after moderation, pinning what is not published), 400
``invalid`` with ``data`` naming each field and its problems.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from citizens.models import Agency, Role, User
from citizens.permissions import agencies_with_roles
from egov.errors import ErrorSerializer, NotFoundError, PermissionDeniedError, ValidationFailed
from engagement import selectors, services
from engagement.models import ANSWER_MAX, QUESTION_MAX, Question
from onecounter.processing.apis import STAFF_AUTHENTICATION
from procedures.selectors import published_procedures

PUBLIC_TAGS = ["questions"]
STAFF_TAGS = ["back office: questions"]
ERROR = ErrorSerializer
CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The question's code."
)
# Officers and heads see their agencies' whole queue; catalog administrators
# (and superusers) every agency's answered questions.
QUEUE_ROLES = (Role.OFFICER, Role.HEAD)


# --- Serializers ---------------------------------------------------------------------------


# Wrapped in allOf, so that drf-spectacular does not make a component of it (other
# APIs have a "status" enum of their own).
@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": list(Question.Status.values)}],
        "description": "asked (waiting for an answer), answered (to be moderated), "
        "published, private (answered, kept private).",
    }
)
class QuestionStatusField(serializers.CharField):
    pass


class QuestionProcedureSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(source="display_name")


class QuestionAgencySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(source="display_name")


class PublicQuestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    procedure = QuestionProcedureSerializer()
    agency = QuestionAgencySerializer(help_text="The agency that answered.")
    question = serializers.CharField(source="public_question", help_text="As published.")
    answer = serializers.CharField(source="public_answer", help_text="As published.")
    published_at = serializers.DateTimeField(source="moderated_at")
    is_faq = serializers.BooleanField(
        help_text="Pinned as one of the procedure's frequent questions."
    )


class MyQuestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    procedure = QuestionProcedureSerializer()
    agency = QuestionAgencySerializer()
    status = QuestionStatusField()
    status_help = serializers.SerializerMethodField()
    text = serializers.CharField(help_text="The question as asked.")
    asked_at = serializers.DateTimeField()
    due_on = serializers.DateField(help_text="The agency answers by this day.")
    answer = serializers.SerializerMethodField()
    answered_at = serializers.DateTimeField(allow_null=True)

    def get_status_help(self, question: Question) -> str:
        return str(services.STATUS_HELP.get(Question.Status(question.status), ""))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_answer(self, question: Question) -> str | None:
        """``null`` until the agency answers."""
        return question.answer or None


class AskSerializer(serializers.Serializer):
    procedure = serializers.CharField(max_length=40, help_text="The procedure's code.")
    agency = serializers.CharField(
        max_length=12, help_text="The code of one of the agencies that offer the procedure."
    )
    # Checked by the service (plain text, 10 to 2000 characters).
    text = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"Plain text (markup is removed), 10 to {QUESTION_MAX} characters.",
    )


class PublicFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    procedure = serializers.CharField(required=False, allow_blank=True, max_length=40)


class StaffFilterSerializer(serializers.Serializer):
    agency = serializers.CharField(required=False, allow_blank=True, max_length=12)
    status = serializers.ChoiceField(
        choices=Question.Status.values, required=False, allow_blank=True
    )
    late = serializers.BooleanField(required=False, default=False)


class StaffQuestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    procedure = QuestionProcedureSerializer()
    agency = QuestionAgencySerializer()
    status = QuestionStatusField()
    asked_at = serializers.DateTimeField()
    due_on = serializers.DateField()
    is_late = serializers.SerializerMethodField()
    text = serializers.CharField(help_text="The question as asked.")
    answered_at = serializers.DateTimeField(allow_null=True)
    moderated_at = serializers.DateTimeField(allow_null=True)
    is_faq = serializers.BooleanField()

    def get_is_late(self, question: Question) -> bool:
        """Still waiting after the day it was due."""
        return question.is_late(self.context.get("today") or timezone.localdate())


class StaffQuestionDetailSerializer(StaffQuestionSerializer):
    asker_name = serializers.CharField(source="asker.full_name", help_text="For staff only.")
    answer = serializers.CharField(help_text="'' until answered.")
    public_question = serializers.CharField(help_text="As published ('' until moderated).")
    public_answer = serializers.CharField(help_text="As published ('' until moderated).")
    faq_order = serializers.IntegerField()
    actions = serializers.SerializerMethodField()

    def get_actions(self, question: Question) -> list[str]:
        """The steps open to the user now: answer, moderate, pin."""
        user = self.context["request"].user
        actions = []
        if question.status in (
            Question.Status.ASKED,
            Question.Status.ANSWERED,
        ) and services.may_answer(user, question.agency):
            actions.append("answer")
        if question.status != Question.Status.ASKED and services.may_moderate(
            user, question.agency
        ):
            actions.append("moderate")
        if question.status == Question.Status.PUBLISHED and services.may_pin(user):
            actions.append("pin")
        return actions


class AnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text=f"Plain text, up to {ANSWER_MAX}."
    )


class ModerateSerializer(serializers.Serializer):
    publish = serializers.BooleanField(help_text="true: publish; false: keep private.")
    public_question = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        default="",
        help_text="The question as published, without anything personal (to publish).",
    )
    public_answer = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        default="",
        help_text="The answer as published (to publish).",
    )


class PinSerializer(serializers.Serializer):
    pinned = serializers.BooleanField()
    order = serializers.IntegerField(
        required=False, default=0, min_value=0, max_value=999, help_text="Smallest first."
    )


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise ValidationFailed(data=serializer.errors)
    return serializer.validated_data


def _invalid(field: str, message: Any) -> ValidationFailed:
    return ValidationFailed(message, data={field: [str(message)]})


# --- Public and citizen views ---------------------------------------------------------------


class QuestionListApi(generics.ListAPIView):
    serializer_class = PublicQuestionSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    throttle_scope = "questions"

    def get_throttles(self):
        # The default rates for everything; asking also counts in its own scope.
        throttles = super().get_throttles()
        if self.request.method == "POST":
            throttles.append(ScopedRateThrottle())
        return throttles

    def get_queryset(self) -> QuerySet[Question]:
        data = _valid(PublicFilterSerializer, self.request.query_params)
        return selectors.published(
            query=data.get("q", ""), procedure_code=data.get("procedure", "")
        )

    @extend_schema(
        tags=PUBLIC_TAGS,
        summary="Published questions and answers",
        description=(
            "What the agencies answered and a moderator published, newest first, as "
            "edited for publication (never the asker or their own words). The search "
            'matches every word, accents aside ("dang ky khai sinh" finds "Đăng ký khai '
            'sinh").'
        ),
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Words of the question or answer"),
            OpenApiParameter("procedure", OpenApiTypes.STR, description="A procedure's code"),
        ],
        responses={200: PublicQuestionSerializer(many=True), 400: ERROR},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=PUBLIC_TAGS,
        summary="Ask a question about a procedure",
        description=(
            "To one of the agencies that offer the published procedure. It is due in the "
            "procedure's working days for questions, counted like a dossier's (after 15:00 "
            "or on a day off, from the next working day). The answer comes by a notice."
        ),
        request=AskSerializer,
        responses={
            201: MyQuestionSerializer,
            400: OpenApiResponse(
                ERROR, description="invalid: `data` names the field (procedure, agency, text)"
            ),
            403: OpenApiResponse(ERROR, description="not_authenticated: sign in first"),
            429: OpenApiResponse(ERROR, description="throttled: see `Retry-After`"),
        },
    )
    def post(self, request: Request) -> Response:
        data = _valid(AskSerializer, request.data)
        procedure = published_procedures().filter(code=data["procedure"]).first()
        if procedure is None:
            raise _invalid("procedure", _("There is no published procedure with this code."))
        agency = Agency.objects.filter(code=data["agency"], is_active=True).first()
        if agency is None:
            raise _invalid("agency", _("There is no agency with this code."))
        question = services.question_ask(
            user=request.user, procedure=procedure, agency=agency, text=data["text"]
        )
        return Response(MyQuestionSerializer(question).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=PUBLIC_TAGS,
    summary="My questions",
    description="The signed-in account's questions, newest first, with their answers.",
    responses={200: MyQuestionSerializer(many=True), 403: ERROR},
)
class MyQuestionListApi(generics.ListAPIView):
    serializer_class = MyQuestionSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Question]:
        if getattr(self, "swagger_fake_view", False):
            return Question.objects.none()
        return selectors.of_asker(self.request.user)


class MyQuestionDetailApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=PUBLIC_TAGS,
        summary="One of my questions",
        parameters=[CODE],
        responses={
            200: MyQuestionSerializer,
            403: ERROR,
            404: OpenApiResponse(ERROR, description="not_found: not a question of mine"),
        },
    )
    def get(self, request: Request, code: str) -> Response:
        question = selectors.of_asker(request.user).filter(code=code).first()
        if question is None:
            raise NotFoundError()
        return Response(MyQuestionSerializer(question).data)


# --- Staff views -----------------------------------------------------------------------------


def _staff_questions(user: User) -> QuerySet[Question]:
    """The questions ``user`` sees in the back office (the module's docstring);
    403 for someone with nothing to see."""
    own = agencies_with_roles(user, QUEUE_ROLES)
    if services.may_pin(user):  # a catalog administrator or a superuser
        return selectors.queue(Agency.objects.all()).filter(  # type: ignore[arg-type]
            Q(agency__in=own) | ~Q(status=Question.Status.ASKED)
        )
    if not own:
        raise PermissionDeniedError()
    return selectors.queue(own)


def _staff_question(request: Request, code: str) -> Question:
    question = _staff_questions(request.user).filter(code=code).first()
    if question is None:
        raise NotFoundError()
    return question


def _detail(request: Request, question: Question) -> Response:
    return Response(StaffQuestionDetailSerializer(question, context={"request": request}).data)


class StaffApi(APIView):
    # (No docstring: drf-spectacular would show it as every operation's description.)
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]


@extend_schema(
    tags=STAFF_TAGS,
    summary="The questions to answer and to moderate",
    description=(
        "Those waiting first, the most overdue first, then those to moderate, then the "
        "rest, newest first. Officers and heads see their agencies' questions; catalog "
        "administrators also every agency's answered ones."
    ),
    parameters=[
        OpenApiParameter("agency", OpenApiTypes.STR, description="An agency's code"),
        OpenApiParameter("status", OpenApiTypes.STR, enum=list(Question.Status.values)),
        OpenApiParameter(
            "late", OpenApiTypes.BOOL, description="Only those waiting past their day"
        ),
    ],
    responses={200: StaffQuestionSerializer(many=True), 400: ERROR, 403: ERROR},
)
class StaffQuestionListApi(generics.ListAPIView):
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = StaffQuestionSerializer

    def get_queryset(self) -> QuerySet[Question]:
        if getattr(self, "swagger_fake_view", False):
            return Question.objects.none()
        questions = _staff_questions(self.request.user)
        data = _valid(StaffFilterSerializer, self.request.query_params)
        if data.get("agency"):
            questions = questions.filter(agency__code=data["agency"])
        if data.get("status"):
            questions = questions.filter(status=data["status"])
        if data.get("late"):
            questions = questions.filter(
                status=Question.Status.ASKED, due_on__lt=timezone.localdate()
            )
        return questions

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": timezone.localdate()}


STAFF_ERRORS = {
    403: OpenApiResponse(ERROR, description="forbidden: not the user's role"),
    404: OpenApiResponse(ERROR, description="not_found: no such question for the user"),
}
STEP_ERRORS = {
    400: OpenApiResponse(ERROR, description="invalid: `data` names the field"),
    **STAFF_ERRORS,
    409: OpenApiResponse(ERROR, description="conflict: not possible in the question's state"),
}


class StaffQuestionDetailApi(StaffApi):
    @extend_schema(
        tags=STAFF_TAGS,
        summary="One question: as asked, its answer, as published, the steps open now",
        parameters=[CODE],
        responses={200: StaffQuestionDetailSerializer, **STAFF_ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        return _detail(request, _staff_question(request, code))


class StaffAnswerApi(StaffApi):
    @extend_schema(
        tags=STAFF_TAGS,
        summary="Answer the question (or correct the answer, until it is moderated)",
        description=(
            "An officer or the head of the question's agency. The first answer sends the "
            "asker a notice; a correction does not."
        ),
        parameters=[CODE],
        request=AnswerSerializer,
        responses={200: StaffQuestionDetailSerializer, **STEP_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        question = _staff_question(request, code)
        data = _valid(AnswerSerializer, request.data)
        services.question_answer(user=request.user, question=question, answer=data["answer"])
        return _detail(request, _staff_question(request, code))


class StaffModerateApi(StaffApi):
    @extend_schema(
        tags=STAFF_TAGS,
        summary="Publish the answered question, edited, or keep it private",
        description=(
            "The agency's head or a catalog administrator. To publish, send the question "
            "and the answer as they are to be shown, without anything personal. Keeping "
            "it private (again) withdraws it from the public list and the FAQ."
        ),
        parameters=[CODE],
        request=ModerateSerializer,
        responses={200: StaffQuestionDetailSerializer, **STEP_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        question = _staff_question(request, code)
        data = _valid(ModerateSerializer, request.data)
        services.question_moderate(
            user=request.user,
            question=question,
            publish=data["publish"],
            public_question=data["public_question"],
            public_answer=data["public_answer"],
        )
        return _detail(request, _staff_question(request, code))


class StaffPinApi(StaffApi):
    @extend_schema(
        tags=STAFF_TAGS,
        summary="Pin a published question as a frequent question of its procedure, or unpin it",
        description="A catalog administrator. Pinned questions show first, by `order`.",
        parameters=[CODE],
        request=PinSerializer,
        responses={200: StaffQuestionDetailSerializer, **STEP_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        question = _staff_question(request, code)
        data = _valid(PinSerializer, request.data)
        services.question_pin(
            user=request.user, question=question, pinned=data["pinned"], order=data["order"]
        )
        return _detail(request, _staff_question(request, code))


urlpatterns = [
    path("questions/", QuestionListApi.as_view(), name="questions"),
    path("questions/mine/", MyQuestionListApi.as_view(), name="my-questions"),
    path("questions/mine/<str:code>/", MyQuestionDetailApi.as_view(), name="my-question"),
    path("back-office/questions/", StaffQuestionListApi.as_view(), name="backoffice-questions"),
    path(
        "back-office/questions/<str:code>/",
        StaffQuestionDetailApi.as_view(),
        name="backoffice-question",
    ),
    path(
        "back-office/questions/<str:code>/answer/",
        StaffAnswerApi.as_view(),
        name="backoffice-question-answer",
    ),
    path(
        "back-office/questions/<str:code>/moderate/",
        StaffModerateApi.as_view(),
        name="backoffice-question-moderate",
    ),
    path(
        "back-office/questions/<str:code>/pin/",
        StaffPinApi.as_view(),
        name="backoffice-question-pin",
    ),
]
