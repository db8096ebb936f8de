from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterconnectConfig(AppConfig):
    name = "interconnect"
    verbose_name = _("Interconnection between agencies")

    def ready(self) -> None:
        from interconnect import listeners

        listeners.register()
