"""Django admin for the catalog: fields are edited here; procedures only viewed.

Procedures, their documents and questions change in the back office
(/back-office/catalog/), whose services keep the revision history; editing
them here would bypass it, so the admin shows them read-only.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from procedures.models import Field, FormField, Procedure, ProcedureRevision, RequiredDocument


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RequiredDocumentInline(ReadOnlyMixin, admin.TabularInline):
    model = RequiredDocument
    fields = ["order", "name", "originals", "copies", "mandatory", "wallet_kind", "template"]
    extra = 0


class FormFieldInline(ReadOnlyMixin, admin.TabularInline):
    model = FormField
    fields = ["page", "order", "key", "label", "kind", "required"]
    extra = 0


@admin.register(Procedure)
class ProcedureAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "field",
        "level",
        "online_level",
        "is_published",
        "version",
        "back_office",
    ]
    list_filter = ["is_published", "level", "online_level", "field"]
    search_fields = ["code", "name", "search_name", "name_en"]
    list_select_related = ["field"]
    inlines = [RequiredDocumentInline, FormFieldInline]

    @admin.display(description="back office")
    def back_office(self, obj):
        return format_html('<a href="{}">edit</a>', reverse("catalog:detail", args=[obj.pk]))


@admin.register(ProcedureRevision)
class ProcedureRevisionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["procedure", "version", "changed_by", "changed_at", "note"]
    list_select_related = ["procedure", "changed_by"]
    search_fields = ["procedure__code", "note"]
    date_hierarchy = "changed_at"
