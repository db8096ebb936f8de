"""Public pages of the procedure catalog (no account needed)."""

from __future__ import annotations

import datetime as dt
import mimetypes
import os

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from egov import events
from egov.text import fold, money
from procedures import selectors
from procedures.events import PageSection, ProcedurePageShown
from procedures.forms import CatalogFilterForm

PAGE_SIZE = 20


def with_fees(procedures):
    """The procedures, each with ``fee_online_text`` and ``fee_counter_text``."""
    procedures = list(procedures)
    for procedure in procedures:
        procedure.fee_online_text = money(procedure.fee_online)
        procedure.fee_counter_text = money(procedure.fee_counter)
    return procedures


@require_safe
def catalog(request: HttpRequest) -> HttpResponse:
    form = CatalogFilterForm(
        request.GET or None,
        fields=selectors.catalog_fields(),
        wards=selectors.offering_wards(),
    )
    filters = form.filters() if form.is_bound else {}
    procedures = selectors.public_procedures(**filters)
    page = Paginator(procedures, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "procedures/catalog.html",
        {
            "form": form,
            "page_obj": page,
            "procedures": with_fees(page.object_list),
            "filtered": any(filters.values()),
            "query_string": query.urlencode(),
        },
    )


@require_safe
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    procedure = selectors.public_procedure(code)
    if procedure is None:
        raise Http404
    now = timezone.now()
    calendar = selectors.work_calendar(start=timezone.localdate(now) - dt.timedelta(days=1))
    results = selectors.expected_results(procedure, submitted_at=now, calendar=calendar)
    by_channel = {r.channel: r for r in results}
    online, counter = by_channel.get("online"), by_channel.get("counter")
    advantage = None
    if online and counter:
        days = counter.working_days - online.working_days
        fee = counter.fee - online.fee
        if days > 0 or fee > 0:
            advantage = {"days": max(days, 0), "fee": max(fee, 0), "fee_text": money(max(fee, 0))}
    return render(
        request,
        "procedures/detail.html",
        {
            "procedure": procedure,
            "results": results,
            "fee_texts": {r.channel: money(r.fee) for r in results},
            "fee_late_text": money(procedure.fee_late),
            "online": online,
            "counter": counter,
            "advantage": advantage,
            "documents": list(procedure.documents.all()),
            "agencies": list(procedure.offered_by.all()),
            "texts": {
                name: procedure.localized(name)
                for name in ("summary", "conditions", "result_document")
            },
            "now": now,
            "sections": sorted(
                (
                    s
                    for s in events.publish(ProcedurePageShown(procedure))
                    if isinstance(s, PageSection)
                ),
                key=lambda section: section.order,
            ),
        },
    )


def template_response(document, *, as_name: str) -> FileResponse:
    """A document's form template as a download, named after the document."""
    try:
        handle = document.template.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    extension = os.path.splitext(document.template.name)[1].lower()
    words = "".join(c if c.isalnum() else " " for c in fold(as_name)).split()
    filename = ("-".join(words)[:80] or "mau") + extension
    content_type = mimetypes.guess_type(document.template.name)[0] or "application/octet-stream"
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def document_template(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    document = selectors.public_document(code, pk)
    if document is None:
        raise Http404
    return template_response(document, as_name=document.name)
