from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from egov.errors import DomainError
from onecounter.models import DocumentVerification, DossierDocument
from onecounter.results import services, verification

# --- Issued results: revoke, replace, render again ------------------------------------------


class AdminReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return list(verification.Outcome.choices)

    def queryset(self, request, queryset):
        value = self.value()
        if value == verification.Outcome.REVOKED:
            return queryset.filter(revoked_at__isnull=False)
        if value == verification.Outcome.REPLACED:
            return queryset.filter(revoked_at__isnull=True, replaced_by__isnull=False)
        if value == verification.Outcome.VALID:
            return queryset.filter(revoked_at__isnull=True, replaced_by__isnull=True)
        return queryset


@admin.register(DossierDocument)
class ResultDocumentAdmin(admin.ModelAdmin):
    """Issued results (those with a verification code). Read-only: revoking,
    replacing and rendering again go through ``onecounter.results.verification``."""

    list_display = ["number", "title", "dossier_code", "issued_by", "created_at", "status"]
    list_filter = [StatusFilter, "key", "issued_by"]
    search_fields = ["number", "dossier__code"]
    date_hierarchy = "created_at"
    list_select_related = ["dossier", "issued_by"]
    readonly_fields = [
        "dossier",
        "kind",
        "key",
        "title",
        "number",
        "issued_by",
        "holder",
        "created_at",
        "rendered_at",
        "sha256",
        "file",
        "revoked_at",
        "revoked_reason",
        "replaced_by",
        "error",
    ]
    exclude = ["verify_token"]
    actions = ["revoke_selected", "replace_selected", "rerender_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .filter(kind=DossierDocument.Kind.RESULT, verify_token__isnull=False)
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("dossier"), ordering="dossier__code")
    def dossier_code(self, document: DossierDocument) -> str:
        return document.dossier.code or str(document.dossier_id)

    @admin.display(description=_("status"))
    def status(self, document: DossierDocument) -> str:
        return str(verification.Outcome(verification.status_of(document)).label)

    def _with_reason(self, request, queryset, *, service, title, done):
        form = AdminReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            applied = 0
            for document in queryset:
                try:
                    service(document, request.user, form.cleaned_data["reason"])
                except DomainError as exc:
                    self.message_user(request, f"{document.number}: {exc.message}", messages.ERROR)
                else:
                    applied += 1
            if applied:
                self.message_user(request, done % {"count": applied}, messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "verify/admin_reason.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "documents": queryset,
                "form": form,
                "action": request.POST.get("action", ""),
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description=_("Revoke the selected documents"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            service=services.document_revoke,
            title=_("Revoke documents"),
            done=_("%(count)d document(s) revoked."),
        )

    @admin.action(
        description=_("Replace the selected documents (issue new ones)"), permissions=["change"]
    )
    def replace_selected(self, request, queryset):
        return self._with_reason(
            request,
            queryset,
            service=services.document_replace,
            title=_("Replace documents"),
            done=_("%(count)d replacement(s) issued."),
        )

    @admin.action(
        description=_("Render the PDF again (same number and code)"), permissions=["change"]
    )
    def rerender_selected(self, request, queryset):
        done = 0
        for document in queryset:
            try:
                services.document_rerender(document, request.user)
            except DomainError as exc:
                self.message_user(request, f"{document.number}: {exc.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request, _("%(count)d PDF(s) rendered again.") % {"count": done}, messages.SUCCESS
            )


@admin.register(DocumentVerification)
class DocumentVerificationAdmin(admin.ModelAdmin):
    """The public checks of documents (append-only)."""

    list_display = ["at", "document", "outcome", "user_agent"]
    list_filter = ["outcome"]
    search_fields = ["document__number"]
    date_hierarchy = "at"
    list_select_related = ["document"]
    readonly_fields = ["document", "at", "outcome", "client_hash", "user_agent"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
