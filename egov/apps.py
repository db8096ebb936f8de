from django.apps import AppConfig


class EgovConfig(AppConfig):
    name = "egov"
    verbose_name = "Portal infrastructure"

    def ready(self) -> None:
        from django.contrib import admin

        # Django admin is for superusers only; staff work in the back office.
        admin.site.has_permission = lambda request: (
            request.user.is_active and request.user.is_superuser
        )
        admin.site.site_header = "Cổng dịch vụ công — quản trị hệ thống"
