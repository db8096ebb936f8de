"""The staff side of feedback and recommendations under /api/v1/back-office/feedback/
(included by ``egov.api``; the public side and the shared serializers are in
``engagement.apis_feedback``).

    GET  back-office/feedback/                    the staff queue (filters agency, step, late)
    GET  back-office/feedback/<code>/             one feedback, with its history
    POST back-office/feedback/<code>/accept/      accept it (a clerk or the head)
    POST back-office/feedback/<code>/refuse/      refuse it with a reason (a clerk or the head)
    POST back-office/feedback/<code>/assign/      assign it to an officer (the head)
    POST back-office/feedback/<code>/answer/      answer it (the officer assigned, or the head)
    POST back-office/feedback/<code>/publish/     publish the answer, edited (the head)

Who may do what is described in ``engagement.apis_feedback``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
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
from rest_framework import generics, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from citizens.models import Agency, Role, User
from citizens.permissions import agencies_with_roles, has_role
from egov.errors import NotFoundError, PermissionDeniedError
from engagement import feedback as services
from engagement import selectors
from engagement.apis_feedback import (
    CODE,
    ERROR,
    STAFF_TAGS,
    FeedbackKindField,
    FeedbackRefSerializer,
    FeedbackStepField,
    _invalid,
    _valid,
)
from engagement.models import (
    FEEDBACK_BODY_MAX,
    REASON_MAX,
    Feedback,
)
from onecounter.processing.apis import STAFF_AUTHENTICATION, PersonRefSerializer


class FeedbackStaffFilterSerializer(serializers.Serializer):
    agency = serializers.CharField(required=False, allow_blank=True, max_length=12)
    step = serializers.ChoiceField(
        choices=[s for s in Feedback.Step.values if s != Feedback.Step.UNVERIFIED],
        required=False,
        allow_blank=True,
    )
    late = serializers.BooleanField(required=False, default=False)


class StaffFeedbackSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = FeedbackKindField()
    category = FeedbackRefSerializer()
    agency = FeedbackRefSerializer()
    subject = serializers.CharField()
    step = FeedbackStepField()
    step_due_on = serializers.DateField(allow_null=True)
    is_late = serializers.SerializerMethodField()
    received_at = serializers.DateTimeField(allow_null=True)
    assigned_to = PersonRefSerializer(allow_null=True)
    consent_publish = serializers.BooleanField()
    rating = serializers.IntegerField(allow_null=True)

    def get_is_late(self, feedback: Feedback) -> bool:
        """Still open after its step's due day."""
        return feedback.is_late(self.context.get("today") or timezone.localdate())


class FeedbackSenderSerializer(serializers.Serializer):
    name = serializers.CharField(source="sender_name")
    phone = serializers.CharField(source="sender_phone")
    email = serializers.CharField(source="sender_email")
    has_account = serializers.SerializerMethodField()

    def get_has_account(self, feedback: Feedback) -> bool:
        return feedback.sender_id is not None


class FeedbackEventSerializer(serializers.Serializer):
    step = FeedbackStepField()
    at = serializers.DateTimeField()
    actor = PersonRefSerializer(allow_null=True, help_text="null: the sender or the system.")
    note = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    late = serializers.BooleanField()


class FeedbackAttachmentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()


class StaffFeedbackDetailSerializer(StaffFeedbackSerializer):
    body = serializers.CharField()
    sender = serializers.SerializerMethodField()
    dossier = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    refused_reason = serializers.CharField(help_text="'' unless refused.")
    answer = serializers.CharField(help_text="'' until answered.")
    answered_at = serializers.DateTimeField(allow_null=True)
    answered_on_time = serializers.BooleanField(allow_null=True)
    public_summary = serializers.CharField(help_text="As published ('' until published).")
    public_answer = serializers.CharField(help_text="As published ('' until published).")
    published_at = serializers.DateTimeField(allow_null=True)
    escalated_at = serializers.DateTimeField(allow_null=True)
    events = FeedbackEventSerializer(many=True, source="events.all")
    attachments = FeedbackAttachmentSerializer(many=True, source="attachments.all")
    actions = serializers.SerializerMethodField()

    @extend_schema_field(FeedbackSenderSerializer)
    def get_sender(self, feedback: Feedback) -> dict:
        """For staff only: never published."""
        return FeedbackSenderSerializer(feedback).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_dossier(self, feedback: Feedback) -> str | None:
        """The code of the sender's dossier it is about (null: none)."""
        return feedback.dossier.code if feedback.dossier else None

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(
                choices=["accept", "refuse", "assign", "answer", "publish"]
            )
        )
    )
    def get_actions(self, feedback: Feedback) -> list[str]:
        """The steps open to the user now."""
        user = self.context["request"].user
        step = feedback.step
        actions = []
        if step == Feedback.Step.RECEIVED and has_role(
            user, feedback.agency, services.RECEIVING_ROLES
        ):
            actions += ["accept", "refuse"]
        if step in (Feedback.Step.ACCEPTED, Feedback.Step.ASSIGNED) and has_role(
            user, feedback.agency, (Role.HEAD,)
        ):
            actions.append("assign")
        if step == Feedback.Step.ASSIGNED and (
            feedback.assigned_to_id == user.pk or has_role(user, feedback.agency, (Role.HEAD,))
        ):
            actions.append("answer")
        if (
            step == Feedback.Step.ANSWERED
            and feedback.consent_publish
            and services.may_publish(user, feedback.agency)
        ):
            actions.append("publish")
        return actions


class FeedbackRefuseSerializer(serializers.Serializer):
    reason = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text=f"10 to {REASON_MAX} characters."
    )


class FeedbackAssignSerializer(serializers.Serializer):
    officer = serializers.UUIDField(
        help_text="The user id of an officer (or the head) of the feedback's agency."
    )


class FeedbackAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"Plain text, 10 to {FEEDBACK_BODY_MAX} characters.",
    )


class FeedbackPublishSerializer(serializers.Serializer):
    public_summary = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text="The feedback as published, without anything personal.",
    )
    public_answer = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="The answer as published."
    )


# --- Staff views -----------------------------------------------------------------------------


def _staff_agencies(user: User) -> list[Agency]:
    """The agencies whose feedback ``user`` sees; 403 for someone with none."""
    agencies = agencies_with_roles(user, services.VIEWING_ROLES)
    if not agencies:
        raise PermissionDeniedError()
    return agencies


def _staff_feedback(request: Request, code: str) -> Feedback:
    feedback = selectors.feedback_for_staff(_staff_agencies(request.user), code)
    if feedback is None:
        raise NotFoundError()
    return feedback


def _detail(request: Request, code: str) -> Response:
    feedback = _staff_feedback(request, code)
    return Response(
        StaffFeedbackDetailSerializer(
            feedback, context={"request": request, "today": timezone.localdate()}
        ).data
    )


class StaffApi(APIView):
    # (No docstring: drf-spectacular would show it as every operation's description.)
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]


@extend_schema(
    tags=STAFF_TAGS,
    summary="The feedback of my agencies",
    description=(
        "Of the agencies where the user is a clerk, an officer or the head (never those "
        "still waiting for their sender's code): open ones first, the most overdue first, "
        "then the rest, newest first."
    ),
    parameters=[
        OpenApiParameter("agency", OpenApiTypes.STR, description="One of my agencies' codes"),
        OpenApiParameter(
            "step",
            OpenApiTypes.STR,
            enum=[s for s in Feedback.Step.values if s != Feedback.Step.UNVERIFIED],
        ),
        OpenApiParameter(
            "late", OpenApiTypes.BOOL, description="Only those open past their step's due day"
        ),
    ],
    responses={200: StaffFeedbackSerializer(many=True), 400: ERROR, 403: ERROR},
)
class StaffFeedbackListApi(generics.ListAPIView):
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = StaffFeedbackSerializer

    def get_queryset(self) -> QuerySet[Feedback]:
        if getattr(self, "swagger_fake_view", False):
            return Feedback.objects.none()
        agencies = _staff_agencies(self.request.user)
        data = _valid(FeedbackStaffFilterSerializer, self.request.query_params)
        if data.get("agency"):
            agencies = [a for a in agencies if a.code == data["agency"]]
        return selectors.feedback_queue(
            agencies, step=data.get("step", ""), late=data.get("late", False)
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": timezone.localdate()}


STAFF_ERRORS = {
    403: OpenApiResponse(ERROR, description="forbidden: not the user's role"),
    404: OpenApiResponse(ERROR, description="not_found: no such feedback for the user"),
}
STEP_ERRORS = {
    400: OpenApiResponse(ERROR, description="invalid: `data` names the field"),
    **STAFF_ERRORS,
    409: OpenApiResponse(ERROR, description="conflict: not possible at the feedback's step"),
}


class StaffFeedbackDetailApi(StaffApi):
    @extend_schema(
        tags=STAFF_TAGS,
        summary="One feedback: as sent, its sender, history and attachments, the steps open now",
        parameters=[CODE],
        responses={200: StaffFeedbackDetailSerializer, **STAFF_ERRORS},
    )
    def get(self, request: Request, code: str) -> Response:
        return _detail(request, code)


class StaffAcceptApi(StaffApi):
    @extend_schema(
        tags=STAFF_TAGS,
        summary="Accept the feedback",
        description="A clerk or the head of its agency, while it is received.",
        parameters=[CODE],
        request=None,
        responses={200: StaffFeedbackDetailSerializer, **STEP_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        services.feedback_accept(user=request.user, feedback=_staff_feedback(request, code))
        return _detail(request, code)


class StaffRefuseApi(StaffApi):
    @extend_schema(
        tags=STAFF_TAGS,
        summary="Refuse the feedback, with a reason",
        description="A clerk or the head of its agency, while it is received. The sender is "
        "told the reason.",
        parameters=[CODE],
        request=FeedbackRefuseSerializer,
        responses={200: StaffFeedbackDetailSerializer, **STEP_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        feedback = _staff_feedback(request, code)
        data = _valid(FeedbackRefuseSerializer, request.data)
        services.feedback_refuse(user=request.user, feedback=feedback, reason=data["reason"])
        return _detail(request, code)


class StaffAssignApi(StaffApi):
    @extend_schema(
        tags=STAFF_TAGS,
        summary="Assign the feedback to an officer",
        description="The head of its agency, once accepted (again to reassign). `officer` is "
        "the user id of an officer or the head of the agency.",
        parameters=[CODE],
        request=FeedbackAssignSerializer,
        responses={200: StaffFeedbackDetailSerializer, **STEP_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        feedback = _staff_feedback(request, code)
        data = _valid(FeedbackAssignSerializer, request.data)
        officer = User.objects.filter(pk=data["officer"], is_active=True).first()
        if officer is None:
            raise _invalid("officer", _("Choose an officer of this agency."))
        services.feedback_assign(user=request.user, feedback=feedback, officer=officer)
        return _detail(request, code)


class StaffAnswerApi(StaffApi):
    @extend_schema(
        tags=STAFF_TAGS,
        summary="Answer the feedback",
        description="The officer it is assigned to, or the head. The sender is told.",
        parameters=[CODE],
        request=FeedbackAnswerSerializer,
        responses={200: StaffFeedbackDetailSerializer, **STEP_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        feedback = _staff_feedback(request, code)
        data = _valid(FeedbackAnswerSerializer, request.data)
        services.feedback_answer(user=request.user, feedback=feedback, answer=data["answer"])
        return _detail(request, code)


class StaffPublishApi(StaffApi):
    @extend_schema(
        tags=STAFF_TAGS,
        summary="Publish the answer, edited",
        description="The head (or a catalog administrator), when the sender agreed: the "
        "feedback and the answer as they are to be shown, without anything personal.",
        parameters=[CODE],
        request=FeedbackPublishSerializer,
        responses={200: StaffFeedbackDetailSerializer, **STEP_ERRORS},
    )
    def post(self, request: Request, code: str) -> Response:
        feedback = _staff_feedback(request, code)
        data = _valid(FeedbackPublishSerializer, request.data)
        services.feedback_publish(
            user=request.user,
            feedback=feedback,
            public_summary=data["public_summary"],
            public_answer=data["public_answer"],
        )
        return _detail(request, code)


urlpatterns = [
    path("back-office/feedback/", StaffFeedbackListApi.as_view(), name="backoffice-feedback"),
    path(
        "back-office/feedback/<str:code>/",
        StaffFeedbackDetailApi.as_view(),
        name="backoffice-feedback-detail",
    ),
    path(
        "back-office/feedback/<str:code>/accept/",
        StaffAcceptApi.as_view(),
        name="backoffice-feedback-accept",
    ),
    path(
        "back-office/feedback/<str:code>/refuse/",
        StaffRefuseApi.as_view(),
        name="backoffice-feedback-refuse",
    ),
    path(
        "back-office/feedback/<str:code>/assign/",
        StaffAssignApi.as_view(),
        name="backoffice-feedback-assign",
    ),
    path(
        "back-office/feedback/<str:code>/answer/",
        StaffAnswerApi.as_view(),
        name="backoffice-feedback-answer",
    ),
    path(
        "back-office/feedback/<str:code>/publish/",
        StaffPublishApi.as_view(),
        name="backoffice-feedback-publish",
    ),
]
