from django.apps import AppConfig


class EgovConfig(AppConfig):
    name = "egov"
    verbose_name = "Portal infrastructure"

    def ready(self) -> None:
        from allauth.account.decorators import secure_admin_login
        from django.contrib import admin

        from egov import checks  # noqa: F401 - registers the deploy checks

        # Django admin is for superusers only; staff work in the back office.
        admin.site.has_permission = lambda request: (
            request.user.is_active and request.user.is_superuser
        )
        # Signing in to admin goes through allauth (second factor, throttling).
        admin.site.login = secure_admin_login(admin.site.login)
        admin.site.site_header = "Cổng dịch vụ công — quản trị hệ thống"
