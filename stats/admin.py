"""The statistics in the Django admin: read-only facts (to check a figure
against its dossiers) and the weekly report subscriptions."""

from django.contrib import admin

from stats.models import DossierFact, ReportSubscription


@admin.register(DossierFact)
class DossierFactAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "agency",
        "procedure",
        "channel",
        "outcome",
        "received_on",
        "resolved_on",
        "on_time",
    ]
    list_filter = ["outcome", "channel", "on_time"]
    search_fields = ["code"]
    list_select_related = ["agency", "procedure"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "created_at", "last_sent_on"]
    raw_id_fields = ["user"]
