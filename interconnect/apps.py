from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterconnectConfig(AppConfig):
    name = "interconnect"
    verbose_name = _("Interconnection between agencies")

    def ready(self) -> None:
        from interconnect import channels, listeners
        from procedures.handlers import registry

        listeners.register()
        # Load the plugins now: two under one name are an error at start-up,
        # not at the first handoff. (A handoff names both a channel and a handler.)
        channels.channels.load()
        registry.load()
