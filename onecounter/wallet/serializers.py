"""The serializers of the citizen's API (``onecounter.wallet.apis``): their dossiers and their wallet."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import (
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.request import Request

from onecounter.models import (
    Attachment,
    Dossier,
    DossierDocument,
    DossierStatus,
    SupplementRequest,
    WalletDocument,
)
from onecounter.wallet import documents as my_documents
from onecounter.wallet import services as wallet
from onecounter.wallet.views import citizen_timeline, resume_url, status_words


def _absolute(request: Request | None, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


# --- Serializers ------------------------------------------------------------------------------


@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": [s.value for s in DossierStatus]}],
        "description": "The status in the one-stop state machine.",
    }
)
class StatusField(serializers.CharField):
    pass


@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": list(Dossier.Channel.values)}],
        "description": "How the dossier was filed: online or at the counter.",
    }
)
class ChannelField(serializers.CharField):
    pass


class CitizenRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(source="display_name")


class CitizenAskSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[
            "finish_draft",
            "send_documents",
            "pay_fee",
            "download_result",
            "collect_result",
            "rate",
            "none",
        ],
        help_text="What is asked of the citizen now.",
    )
    message = serializers.CharField(help_text="The same, in plain words.")
    deadline = serializers.DateField(allow_null=True, help_text="send_documents: by this date.")


class MyDossierSerializer(serializers.ModelSerializer):
    procedure = CitizenRefSerializer()
    agency = CitizenRefSerializer()
    status = StatusField(read_only=True)
    channel = ChannelField(read_only=True)
    public_status = serializers.SerializerMethodField(
        help_text="The status in plain terms: `draft` or a public tracking status "
        "(e.g. `awaiting_documents`, `result_ready`)."
    )
    status_label = serializers.SerializerMethodField()
    about = serializers.SerializerMethodField(
        help_text="The child the dossier is about, when it is filed for a minor child."
    )
    expected_date = serializers.SerializerMethodField(
        help_text="Sent but not yet received: the expected result date."
    )
    late = serializers.BooleanField(source="is_late")
    asked = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    continue_url = serializers.SerializerMethodField(
        help_text="A draft: where the filing continues."
    )

    class Meta:
        model = Dossier
        fields = [
            "id",
            "code",
            "procedure",
            "agency",
            "channel",
            "status",
            "public_status",
            "status_label",
            "about",
            "created_at",
            "updated_at",
            "submitted_at",
            "received_at",
            "due_date",
            "expected_date",
            "late",
            "apologised",
            "asked",
            "url",
            "continue_url",
        ]

    def get_public_status(self, obj: Dossier) -> str:
        return status_words(obj)[0]

    def get_status_label(self, obj: Dossier) -> str:
        return str(status_words(obj)[1])

    def get_about(self, obj: Dossier) -> str | None:
        person_id = self.context.get("person_id")
        subject = obj.subject_person
        if subject is None or subject.pk == person_id:
            return None
        return subject.full_name

    def get_expected_date(self, obj: Dossier) -> dt.date | None:
        return self.context.get("expected", {}).get(obj.pk)

    @extend_schema_field(CitizenAskSerializer)
    def get_asked(self, obj: Dossier) -> dict[str, Any]:
        return CitizenAskSerializer(wallet.asked_now(obj)).data

    def get_url(self, obj: Dossier) -> str:
        return _absolute(self.context.get("request"), reverse("api:me-dossier", args=[obj.pk]))

    def get_continue_url(self, obj: Dossier) -> str | None:
        if obj.status != DossierStatus.DRAFT:
            return None
        return _absolute(self.context.get("request"), resume_url(obj))


class CitizenStepSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="When the step was taken.")
    label = serializers.CharField()
    who = serializers.CharField(
        help_text="Who took it: “you”, “the system”, or a staff member's role and agency, "
        "e.g. “One-stop clerk — UBND phường Long Biên” (never a staff member's name)."
    )
    reason = serializers.CharField(allow_blank=True)
    new_due_date = serializers.DateField(allow_null=True)


class CitizenAttachmentSerializer(serializers.ModelSerializer):
    from_wallet = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "label", "uploaded_at", "from_wallet", "url"]

    def get_from_wallet(self, obj: Attachment) -> bool:
        return obj.wallet_document_id is not None

    def get_url(self, obj: Attachment) -> str | None:
        if not obj.file:
            return None
        url = reverse("mine:attachment", args=[obj.dossier_id, obj.pk])
        return _absolute(self.context.get("request"), url)


class CitizenSupplementSerializer(serializers.ModelSerializer):
    attachments = CitizenAttachmentSerializer(many=True)

    class Meta:
        model = SupplementRequest
        fields = [
            "items",
            "note",
            "before_receipt",
            "requested_at",
            "deadline",
            "answered_at",
            "attachments",
        ]


class CitizenDocumentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = DossierDocument
        fields = ["id", "kind", "title", "rendered_at", "url"]

    def get_url(self, obj: DossierDocument) -> str:
        url = reverse("api:me-dossier-document", args=[obj.dossier_id, obj.pk])
        return _absolute(self.context.get("request"), url)


class WithdrawInput(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, default="", help_text="Required."
    )


class CitizenRatingSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField(read_only=True)


class MyDossierDetailSerializer(MyDossierSerializer):
    steps = serializers.SerializerMethodField()
    supplements = CitizenSupplementSerializer(many=True)
    documents = serializers.SerializerMethodField()
    results = serializers.SerializerMethodField(
        help_text="The results, once ready: the dossier's own, then those of the dossiers "
        "handed on from it to other agencies (e.g. a birth's residence confirmation and "
        "health-insurance card), each downloaded from its own dossier (`url`)."
    )
    attachments = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField(
        help_text="What the viewer may do now: `withdraw`, `supply` / `resubmit` (answer "
        "the request for documents), `hand_back` (take a full-online result), `rate`."
    )

    class Meta(MyDossierSerializer.Meta):
        fields = [
            *MyDossierSerializer.Meta.fields,
            "original_due_date",
            "paused_on",
            "result_ready_at",
            "finished_at",
            "fee",
            "paid_at",
            "steps",
            "supplements",
            "documents",
            "results",
            "attachments",
            "rating",
            "allowed_actions",
        ]

    @extend_schema_field(CitizenStepSerializer(many=True))
    def get_steps(self, obj: Dossier) -> list[dict[str, Any]]:
        steps = citizen_timeline(
            list(obj.events.all()), dossier=obj, viewer=self.context["request"].user
        )
        return CitizenStepSerializer(steps, many=True).data

    @extend_schema_field(CitizenDocumentSerializer(many=True))
    def get_documents(self, obj: Dossier) -> list[dict[str, Any]]:
        return CitizenDocumentSerializer(obj.ready_documents, many=True, context=self.context).data

    @extend_schema_field(CitizenDocumentSerializer(many=True))
    def get_results(self, obj: Dossier) -> list[dict[str, Any]]:
        if obj.status not in (DossierStatus.RESULT_READY, DossierStatus.RETURNED):
            return []
        results = wallet.dossier_results(
            obj, self.context["request"].user, person=self.context.get("person")
        )
        return CitizenDocumentSerializer(results, many=True, context=self.context).data

    @extend_schema_field(CitizenAttachmentSerializer(many=True))
    def get_attachments(self, obj: Dossier) -> list[dict[str, Any]]:
        return CitizenAttachmentSerializer(
            obj.filed_attachments, many=True, context=self.context
        ).data

    @extend_schema_field(CitizenRatingSerializer(allow_null=True))
    def get_rating(self, obj: Dossier) -> dict[str, Any] | None:
        if not wallet.has_rating(obj):
            return None
        return CitizenRatingSerializer(obj.rating).data

    def get_allowed_actions(self, obj: Dossier) -> list[str]:
        actions = wallet.citizen_actions(obj, self.context["request"].user)
        if wallet.can_rate(obj):
            actions.append("rate")
        return actions


class WalletDocumentSerializer(serializers.ModelSerializer):
    kind_label = serializers.SerializerMethodField()
    person = serializers.CharField(source="person.full_name", default=None)
    issued_by = CitizenRefSerializer(allow_null=True)
    dossier = serializers.UUIDField(source="dossier_id", allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = WalletDocument
        fields = [
            "id",
            "source",
            "kind",
            "kind_label",
            "title",
            "person",
            "issued_by",
            "dossier",
            "created_at",
            "url",
        ]

    def get_kind_label(self, obj: WalletDocument) -> str:
        return my_documents.kind_label(obj.kind)

    def get_url(self, obj: WalletDocument) -> str:
        return _absolute(self.context.get("request"), reverse("api:me-document", args=[obj.pk]))
