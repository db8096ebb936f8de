"""Questions and feedback in the Django admin: the feedback categories and
their working days are edited here; questions and feedback are read-only
(their steps are taken in the back office, where they are recorded)."""

from django.contrib import admin

from engagement.models import Feedback, FeedbackCategory, FeedbackEvent, Question


@admin.register(FeedbackCategory)
class FeedbackCategoryAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "about",
        "accept_days",
        "assign_days",
        "answer_days",
        "publish_days",
        "is_active",
        "order",
    ]
    list_editable = ["accept_days", "assign_days", "answer_days", "publish_days", "is_active"]
    list_filter = ["about", "is_active"]

    def has_delete_permission(self, request, obj=None):
        return False  # kept for the feedback sent under it: make it not offered instead


class ReadOnly(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Question)
class QuestionAdmin(ReadOnly):
    list_display = ["code", "procedure", "agency", "status", "asked_at", "due_on", "is_faq"]
    list_filter = ["status", "is_faq"]
    search_fields = ["code"]
    list_select_related = ["procedure", "agency"]


class EventInline(admin.TabularInline):
    model = FeedbackEvent
    fields = ["step", "at", "actor", "due_on", "late", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Feedback)
class FeedbackAdmin(ReadOnly):
    list_display = ["code", "kind", "category", "agency", "step", "step_due_on", "escalated_at"]
    list_filter = ["step", "kind", "category"]
    search_fields = ["code"]
    list_select_related = ["category", "agency"]
    exclude = ["search_text", "ip_address"]
    inlines = [EventInline]
