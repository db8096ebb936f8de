from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitizensConfig(AppConfig):
    name = "citizens"
    verbose_name = _("Population database and accounts")

    def ready(self) -> None:
        from allauth.mfa.models import Authenticator
        from django.db.models.signals import post_delete, post_save

        from citizens import identity_provider, middleware
        from citizens.models import Agency, StaffMembership, forget_staff_roles

        identity_provider.connect()
        post_delete.connect(middleware.forget_totp, sender=Authenticator)
        for model in (StaffMembership, Agency):
            post_save.connect(forget_staff_roles, sender=model)
            post_delete.connect(forget_staff_roles, sender=model)
