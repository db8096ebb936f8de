"""Feedback and recommendations (phản ánh, kiến nghị) under /api/v1/
(included by ``egov.api``).

    GET  feedback/categories/                     the categories offered, with their working days
    GET  feedback/                                published answers (public; filter q)
    POST feedback/                                send one (anyone; JSON, or multipart with files)
    POST feedback/<code>/confirm/                 confirm it with the code sent to the contact
    POST feedback/<code>/resend-code/             send a new code
    GET  feedback/track/?code=&contact=           follow it: its steps, dates, the answer
    GET  feedback/mine/                           the signed-in account's own, newest first
    POST feedback/<code>/rating/                  rate the answer, once

and, in ``engagement.apis_feedback_staff``, the staff's:
    GET  back-office/feedback/                    the staff queue (filters agency, step, late)
    GET  back-office/feedback/<code>/             one feedback, with its history
    POST back-office/feedback/<code>/accept/      accept it (a clerk or the head)
    POST back-office/feedback/<code>/refuse/      refuse it with a reason (a clerk or the head)
    POST back-office/feedback/<code>/assign/      assign it to an officer (the head)
    POST back-office/feedback/<code>/answer/      answer it (the officer assigned, or the head)
    POST back-office/feedback/<code>/publish/     publish the answer, edited (the head)

Anyone may send: a signed-in sender's feedback is received at once; anyone
else gives a name and a phone number or an e-mail address, is sent a
six-digit code there, and confirms with the code *and* the contact they gave
(so that nobody confirms someone else's by guessing). Following, confirming,
asking for a new code and rating without an account all take the feedback's
code and that phone number or e-mail address; a wrong contact answers 404
``not_found``, the same as an unknown code. The public list shows only what a
moderator published (``public_summary``, ``public_answer``): never the
sender, their words or their attachments.

The public POST endpoints count in the ``feedback`` throttle scope
(``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["feedback"]``, per account or
client address), and sending is also limited per account, phone number,
e-mail address and client address (``EGOV_FEEDBACK_MAX_PER_HOUR``): both
answer 429 ``throttled``.

Staff authenticate like the other back-office APIs (session with the second
factor, or an agency system's one-stop key) and see the feedback of the
agencies where they are a clerk, an officer or the head; anyone else gets 403
``forbidden``, another agency's feedback is 404 ``not_found``. The steps
answer as the services decide: 403 ``forbidden`` (not the user's role), 409
``conflict`` (not possible at the feedback's step), 400 ``invalid`` with
``data`` naming each field and its problems.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, permissions, serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from citizens.models import Agency
from egov.errors import ErrorSerializer, NotFoundError, ValidationFailed
from egov.http import client_ip
from engagement import feedback as services
from engagement import selectors
from engagement.models import (
    FEEDBACK_BODY_MAX,
    FEEDBACK_SUBJECT_MAX,
    Feedback,
    FeedbackCategory,
)
from onecounter.models import Dossier

PUBLIC_TAGS = ["feedback"]
STAFF_TAGS = ["back office: feedback"]
ERROR = ErrorSerializer
CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The feedback's tracking code."
)
NOT_FOUND = OpenApiResponse(
    ERROR, description="not_found: no feedback with this code and contact (the same answer)"
)
THROTTLED = OpenApiResponse(ERROR, description="throttled: too many, wait and try again")


# --- Serializers ---------------------------------------------------------------------------

# The enums are wrapped in allOf, so that drf-spectacular does not make components
# of them (other APIs have "kind" and "step" enums of their own).


@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": list(Feedback.Kind.values)}],
        "description": "feedback (phản ánh: something that went wrong) or recommendation "
        "(kiến nghị: a proposal).",
    }
)
class FeedbackKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Feedback.Kind.choices, **kwargs)


@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": list(Feedback.Step.values)}],
        "description": "unverified (waiting for the sender's code), received, accepted, "
        "refused (final), assigned (to an officer), answered, published.",
    }
)
class FeedbackStepField(serializers.CharField):
    pass


class FeedbackCategorySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(source="display_name")
    about = serializers.CharField(help_text="regulation (an administrative rule) or service.")
    accept_days = serializers.IntegerField(help_text="Working days to accept or refuse it.")
    assign_days = serializers.IntegerField(help_text="Working days to assign it to an officer.")
    answer_days = serializers.IntegerField(help_text="Working days to answer once assigned.")
    publish_days = serializers.IntegerField(help_text="Working days to publish the answer.")


class FeedbackRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(source="display_name")


class PublicFeedbackSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = FeedbackKindField()
    category = FeedbackRefSerializer()
    agency = FeedbackRefSerializer(help_text="The agency that answered.")
    summary = serializers.CharField(source="public_summary", help_text="As published.")
    answer = serializers.CharField(source="public_answer", help_text="As published.")
    published_at = serializers.DateTimeField()
    rating = serializers.IntegerField(allow_null=True, help_text="The sender's rating, 1-5.")


class FeedbackSendSerializer(serializers.Serializer):
    kind = FeedbackKindField()
    category = serializers.CharField(max_length=40, help_text="A category's code.")
    agency = serializers.CharField(max_length=12, help_text="The code of the agency it is for.")
    # Checked by the service (plain text, lengths).
    subject = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"Plain text, 5 to {FEEDBACK_SUBJECT_MAX} characters.",
    )
    body = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"What happened, what you recommend: plain text, 20 to {FEEDBACK_BODY_MAX}.",
    )
    consent_publish = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The answer may be published, edited, without the sender's name or contacts.",
    )
    dossier = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=30,
        help_text="Signed-in senders only: the code of one of their own dossiers it is about.",
    )
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=150,
        help_text="Without an account: the sender's name.",
    )
    phone = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=20,
        help_text="Without an account: a phone number (the code is sent there by SMS)...",
    )
    email = serializers.EmailField(
        required=False,
        allow_blank=True,
        help_text="... or an e-mail address (used when there is no phone number).",
    )


class FeedbackSendMultipartSerializer(FeedbackSendSerializer):
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        max_length=services.MAX_ATTACHMENTS,
        help_text=f"Up to {services.MAX_ATTACHMENTS} PDF, JPEG or PNG files (kept private).",
    )


class FeedbackSentSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The tracking code.")
    step = FeedbackStepField()
    step_due_on = serializers.DateField(
        allow_null=True, help_text="The agency takes the next step by this day."
    )
    needs_code = serializers.SerializerMethodField()

    def get_needs_code(self, feedback: Feedback) -> bool:
        """Confirm with the code sent to the phone or e-mail address (no account)."""
        return feedback.step == Feedback.Step.UNVERIFIED


class FeedbackContactSerializer(serializers.Serializer):
    contact = serializers.CharField(
        max_length=254, help_text="The phone number or e-mail address the feedback was sent with."
    )


class FeedbackConfirmSerializer(FeedbackContactSerializer):
    confirmation_code = serializers.CharField(
        max_length=20, help_text=f"The {services.CODE_DIGITS}-digit code that was sent."
    )


class FeedbackRateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5, help_text="1 to 5 stars.")
    contact = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=254,
        help_text="Not needed for a signed-in sender's own feedback.",
    )


class FeedbackTrackFilterSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    contact = serializers.CharField(max_length=254)


class FeedbackTrackedStepSerializer(serializers.Serializer):
    step = FeedbackStepField()
    step_label = serializers.CharField(source="get_step_display")
    at = serializers.DateTimeField()
    due_on = serializers.DateField(
        allow_null=True, help_text="The next step is due by this day (null: none is)."
    )
    late = serializers.BooleanField(help_text="Taken after the previous step's due day.")


class FeedbackTrackedSerializer(serializers.Serializer):
    """The sender's view (never shown to anyone else)."""

    code = serializers.CharField()
    kind = FeedbackKindField()
    category = FeedbackRefSerializer()
    agency = FeedbackRefSerializer()
    subject = serializers.CharField()
    step = FeedbackStepField()
    step_label = serializers.CharField(source="get_step_display")
    step_due_on = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(allow_null=True)
    steps = FeedbackTrackedStepSerializer(many=True, source="events.all")
    refused_reason = serializers.SerializerMethodField()
    answer = serializers.SerializerMethodField()
    answered_at = serializers.DateTimeField(allow_null=True)
    consent_publish = serializers.BooleanField()
    published_at = serializers.DateTimeField(allow_null=True)
    rating = serializers.IntegerField(allow_null=True)
    may_rate = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_refused_reason(self, feedback: Feedback) -> str | None:
        """The agency's reason, when it refused (else null)."""
        return feedback.refused_reason or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_answer(self, feedback: Feedback) -> str | None:
        """The agency's answer (null until answered)."""
        if feedback.step in (Feedback.Step.ANSWERED, Feedback.Step.PUBLISHED):
            return feedback.answer
        return None

    def get_may_rate(self, feedback: Feedback) -> bool:
        """Answered and not rated yet."""
        return feedback.rating is None and feedback.step in (
            Feedback.Step.ANSWERED,
            Feedback.Step.PUBLISHED,
        )


class FeedbackPublicFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise ValidationFailed(data=serializer.errors)
    return serializer.validated_data


def _invalid(field: str, message: Any) -> ValidationFailed:
    return ValidationFailed(message, data={field: [str(message)]})


def _tracked(code: str, contact: str) -> Feedback:
    """The feedback with this code sent with this contact; else 404 (the same
    for an unknown code and a wrong contact)."""
    feedback = selectors.feedback_tracked(code, contact)
    if feedback is None:
        raise NotFoundError()
    return feedback


def _tracked_again(feedback: Feedback) -> Feedback:
    """``feedback`` as it is now, with its steps, for the sender's view."""
    return (
        Feedback.objects.select_related("category", "agency")
        .prefetch_related("events")
        .get(pk=feedback.pk)
    )


# --- Public and sender views -----------------------------------------------------------------


class ThrottledPostMixin:
    """The default rates for everything; a POST also counts in the ``feedback`` scope."""

    throttle_scope = "feedback"

    def get_throttles(self) -> list:
        throttles = super().get_throttles()  # type: ignore[misc]
        if self.request.method == "POST":  # type: ignore[attr-defined]
            throttles.append(ScopedRateThrottle())
        return throttles


@extend_schema(
    tags=PUBLIC_TAGS,
    summary="The feedback categories offered",
    description="Active categories, in their order, with the working days each step may take "
    "(counted like a dossier's: after 15:00 or on a day off, from the next working day). "
    "Not paginated: a short list.",
    responses={200: FeedbackCategorySerializer(many=True)},
)
class CategoryListApi(generics.ListAPIView):
    serializer_class = FeedbackCategorySerializer
    permission_classes = [permissions.AllowAny]
    pagination_class = None

    def get_queryset(self) -> QuerySet[FeedbackCategory]:
        return FeedbackCategory.objects.filter(is_active=True).order_by("order", "name")


class FeedbackListApi(ThrottledPostMixin, generics.ListAPIView):
    serializer_class = PublicFeedbackSerializer
    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[Feedback]:
        data = _valid(FeedbackPublicFilterSerializer, self.request.query_params)
        return selectors.feedback_published(query=data.get("q", ""))

    @extend_schema(
        tags=PUBLIC_TAGS,
        summary="Published answers to feedback and recommendations",
        description=(
            "What the agencies answered and a moderator published with the sender's consent, "
            "newest first, as edited for publication: never the sender, their own words or "
            "their attachments. The search matches every word, accents aside ("
            '"thai do" finds "thái độ").'
        ),
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Words of the summary or answer")
        ],
        responses={200: PublicFeedbackSerializer(many=True), 400: ERROR},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=PUBLIC_TAGS,
        summary="Send a feedback or a recommendation",
        description=(
            "Anyone. Signed in, it is received at once (`needs_code` false) and may name one "
            "of the sender's dossiers. Without an account, give `name` and a `phone` or an "
            "`email`: a code is sent there (by SMS to the phone when there is one), and the "
            "feedback waits (`step` unverified, `needs_code` true) until it is confirmed at "
            "`feedback/{code}/confirm/`. Attachments: multipart with `files`."
        ),
        request={
            "application/json": FeedbackSendSerializer,
            "multipart/form-data": FeedbackSendMultipartSerializer,
        },
        responses={
            201: FeedbackSentSerializer,
            400: OpenApiResponse(
                ERROR,
                description="invalid: `data` names the field (kind, category, agency, subject, "
                "body, dossier, name, phone, email, files); a refused file answers its own "
                "code (file_type, file_too_large, file_empty, file_corrupt)",
            ),
            429: THROTTLED,
        },
    )
    def post(self, request: Request) -> Response:
        data = _valid(FeedbackSendMultipartSerializer, request.data)
        category = FeedbackCategory.objects.filter(code=data["category"], is_active=True).first()
        if category is None:
            raise _invalid("category", _("There is no feedback category with this code."))
        agency = Agency.objects.filter(code=data["agency"], is_active=True).first()
        if agency is None:
            raise _invalid("agency", _("There is no agency with this code."))
        dossier = None
        if data.get("dossier"):
            if not request.user.is_authenticated:
                raise _invalid("dossier", _("Sign in to name one of your dossiers."))
            dossier = Dossier.objects.filter(code=data["dossier"], applicant=request.user).first()
            if dossier is None:
                raise _invalid("dossier", _("You have no dossier with this code."))
        feedback = services.feedback_send(
            user=request.user,
            kind=data["kind"],
            category=category,
            agency=agency,
            subject=data["subject"],
            body=data["body"],
            consent_publish=data["consent_publish"],
            name=data.get("name", ""),
            phone=data.get("phone", ""),
            email=data.get("email", ""),
            dossier=dossier,
            files=data["files"],
            ip=client_ip(request._request),
        )
        return Response(FeedbackSentSerializer(feedback).data, status=status.HTTP_201_CREATED)


class ConfirmApi(ThrottledPostMixin, APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=PUBLIC_TAGS,
        summary="Confirm a feedback with the code that was sent",
        description=(
            "With the phone number or e-mail address it was sent with and the "
            f"{services.CODE_DIGITS}-digit code. After {services.CODE_ATTEMPTS} wrong tries, "
            f"or {services.CODE_MINUTES} minutes, ask for a new code."
        ),
        parameters=[CODE],
        request=FeedbackConfirmSerializer,
        responses={
            200: FeedbackTrackedSerializer,
            400: OpenApiResponse(
                ERROR, description="invalid: a wrong or expired code (`data.confirmation_code`)"
            ),
            404: NOT_FOUND,
            409: OpenApiResponse(ERROR, description="conflict: confirmed already"),
            429: THROTTLED,
        },
    )
    def post(self, request: Request, code: str) -> Response:
        data = _valid(FeedbackConfirmSerializer, request.data)
        feedback = _tracked(code, data["contact"])
        try:
            services.feedback_verify(feedback=feedback, code=data["confirmation_code"])
        except ValidationFailed as exc:
            # The service names its own field "code": here it is "confirmation_code".
            if "code" in exc.data:
                exc.data = {"confirmation_code": exc.data["code"]}
            raise
        return Response(FeedbackTrackedSerializer(_tracked_again(feedback)).data)


class ResendCodeApi(ThrottledPostMixin, APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=PUBLIC_TAGS,
        summary="Send a new confirmation code",
        description="To the phone number (else the e-mail address) the feedback was sent with; "
        "the earlier code stops working.",
        parameters=[CODE],
        request=FeedbackContactSerializer,
        responses={
            204: OpenApiResponse(description="Sent."),
            400: ERROR,
            404: NOT_FOUND,
            409: OpenApiResponse(ERROR, description="conflict: confirmed already"),
            429: THROTTLED,
        },
    )
    def post(self, request: Request, code: str) -> Response:
        data = _valid(FeedbackContactSerializer, request.data)
        feedback = _tracked(code, data["contact"])
        services.feedback_resend_code(feedback=feedback, ip=client_ip(request._request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TrackApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=PUBLIC_TAGS,
        summary="Follow a feedback by its code and contact",
        description=(
            "The sender's view: its steps with their dates and due days, the reason if it was "
            "refused, the answer once answered. The contact is the phone number or e-mail "
            "address it was sent with (spaces, case and a leading +84 aside)."
        ),
        parameters=[
            OpenApiParameter("code", OpenApiTypes.STR, required=True, description="Its code"),
            OpenApiParameter(
                "contact",
                OpenApiTypes.STR,
                required=True,
                description="The phone number or e-mail address it was sent with",
            ),
        ],
        responses={200: FeedbackTrackedSerializer, 400: ERROR, 404: NOT_FOUND},
    )
    def get(self, request: Request) -> Response:
        data = _valid(FeedbackTrackFilterSerializer, request.query_params)
        return Response(FeedbackTrackedSerializer(_tracked(data["code"], data["contact"])).data)


@extend_schema(
    tags=PUBLIC_TAGS,
    summary="My feedback",
    description="What the signed-in account sent, newest first, as in `feedback/track/`.",
    responses={200: FeedbackTrackedSerializer(many=True), 403: ERROR},
)
class MyFeedbackListApi(generics.ListAPIView):
    serializer_class = FeedbackTrackedSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[Feedback]:
        if getattr(self, "swagger_fake_view", False):
            return Feedback.objects.none()
        return (
            selectors.feedback_of_sender(self.request.user)
            .prefetch_related("events")
            .order_by("-created_at")
        )


class RatingApi(ThrottledPostMixin, APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=PUBLIC_TAGS,
        summary="Rate the answer (once)",
        description="The sender: signed in, their own feedback; otherwise with the phone "
        "number or e-mail address it was sent with (`contact`).",
        parameters=[CODE],
        request=FeedbackRateSerializer,
        responses={
            200: FeedbackTrackedSerializer,
            400: ERROR,
            404: NOT_FOUND,
            409: OpenApiResponse(
                ERROR, description="already_rated: rated already; conflict: not answered yet"
            ),
            429: THROTTLED,
        },
    )
    def post(self, request: Request, code: str) -> Response:
        data = _valid(FeedbackRateSerializer, request.data)
        feedback = None
        if request.user.is_authenticated:
            feedback = selectors.feedback_of_sender(request.user).filter(code=code).first()
        if feedback is None:
            feedback = _tracked(code, data.get("contact", ""))
        services.feedback_rate(feedback=feedback, score=data["score"])
        return Response(FeedbackTrackedSerializer(_tracked_again(feedback)).data)


urlpatterns = [
    path("feedback/", FeedbackListApi.as_view(), name="feedback"),
    path("feedback/categories/", CategoryListApi.as_view(), name="feedback-categories"),
    path("feedback/track/", TrackApi.as_view(), name="feedback-track"),
    path("feedback/mine/", MyFeedbackListApi.as_view(), name="my-feedback"),
    path("feedback/<str:code>/confirm/", ConfirmApi.as_view(), name="feedback-confirm"),
    path("feedback/<str:code>/resend-code/", ResendCodeApi.as_view(), name="feedback-resend"),
    path("feedback/<str:code>/rating/", RatingApi.as_view(), name="feedback-rating"),
]
