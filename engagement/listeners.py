"""What the questions and answers add to the other apps' pages."""

from __future__ import annotations

from engagement import selectors
from procedures.events import PageSection, ProcedurePageShown


def faq_on_procedure_page(event: ProcedurePageShown) -> PageSection:
    """A procedure's page shows its pinned frequent questions (one query) and
    links to all its answers and to the form to ask one."""
    procedure = event.procedure
    return PageSection(
        template="questions/_procedure_section.html",
        context={"procedure": procedure, "faq": selectors.faq(procedure.pk)},
    )
