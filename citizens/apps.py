from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitizensConfig(AppConfig):
    name = "citizens"
    verbose_name = _("Population database and accounts")

    def ready(self) -> None:
        from citizens import identity_provider

        identity_provider.connect()
