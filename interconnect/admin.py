"""Handoffs in Django admin: read-only (retries go through the back-office
page /back-office/handoffs/ or the staff API, which log them)."""

from django.contrib import admin
from django.http import HttpRequest

from interconnect.models import Handoff, HandoffMessage


class HandoffMessageInline(admin.TabularInline):
    model = HandoffMessage
    extra = 0
    can_delete = False
    fields = [
        "started_at",
        "direction",
        "kind",
        "dossier_ref",
        "request_sha256",
        "response_status",
        "error",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Handoff)
class HandoffAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "target",
        "channel",
        "agency",
        "status",
        "attempts",
        "due_date",
        "created_at",
    ]
    list_filter = ["status", "channel", "target", "agency"]
    search_fields = ["key", "agency_dossier__code", "external_reference"]
    date_hierarchy = "created_at"
    list_select_related = ["agency"]
    inlines = [HandoffMessageInline]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
