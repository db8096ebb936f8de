from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "engagement"
    verbose_name = _("Questions and feedback")

    def ready(self) -> None:
        from egov import events
        from engagement import listeners
        from procedures.events import ProcedurePageShown

        events.listen(ProcedurePageShown, listeners.faq_on_procedure_page)
