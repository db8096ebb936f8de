from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from citizens.models import AdministrativeUnit, Agency, StaffMembership, UnitSuccession, User


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "era", "parent"]
    list_filter = ["era", "level"]
    search_fields = ["code", "name", "search_name"]
    list_select_related = ["parent"]
    raw_id_fields = ["parent"]


@admin.register(UnitSuccession)
class UnitSuccessionAdmin(admin.ModelAdmin):
    list_display = ["successor", "predecessor_name", "predecessor_district", "note"]
    search_fields = ["successor__name", "predecessor_name"]
    list_select_related = ["successor", "successor__parent"]
    raw_id_fields = ["successor", "predecessor"]


class MembershipInline(admin.TabularInline):
    model = StaffMembership
    extra = 0
    raw_id_fields = ["agency"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_superuser", "last_login"]
    search_fields = ["email", "full_name"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal", {"fields": ("full_name", "phone")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "unit", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["unit"]
    list_select_related = ["unit", "unit__parent"]


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "agency", "role", "is_active"]
    list_filter = ["role", "is_active"]
    raw_id_fields = ["user", "agency"]
    list_select_related = ["user", "agency"]


# --- Agency API keys (citizens.agency_api) --------------------------------------

from citizens.models import AgencyApiCredential  # noqa: E402


@admin.register(AgencyApiCredential)
class AgencyApiCredentialAdmin(admin.ModelAdmin):
    """Keys are issued with ``manage.py issue_agency_key`` (the raw key is shown
    once, there) and revoked here; only the name can be edited."""

    list_display = ["prefix", "name", "agency", "purpose", "is_active", "created_at", "revoked_at"]
    list_filter = ["purpose", "is_active"]
    search_fields = ["prefix", "name", "agency__code", "agency__name"]
    list_select_related = ["agency"]
    fields = [
        "agency",
        "name",
        "purpose",
        "prefix",
        "secret_hash",
        "is_active",
        "created_at",
        "revoked_at",
    ]
    readonly_fields = [
        "agency",
        "purpose",
        "prefix",
        "secret_hash",
        "is_active",
        "created_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset) -> None:
        from citizens.agency_api.auth import agency_credential_revoke

        for credential in queryset:
            agency_credential_revoke(credential=credential)
        self.message_user(request, f"{queryset.count()} key(s) revoked.")


# --- Population imports (manage.py import_population) ----------------------------

from citizens.models import PopulationImport  # noqa: E402


@admin.register(PopulationImport)
class PopulationImportAdmin(admin.ModelAdmin):
    """Read-only: the command records its runs; the failures page acts on them."""

    list_display = ["file_name", "status", "started_at", "finished_at", "rows_read", "rejected"]
    list_filter = ["status"]
    search_fields = ["file_name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
