"""The signed-in citizen's notices about their dossiers (``/me/notices/``).

Only the citizen's own notices are listed (``Notification.user``), newest
first, a page at a time; the unread ones on the page are marked read as they
are shown. Each links to the public tracking page with the code filled in.
Cost: the same few queries whatever the number of notices (count, page,
one UPDATE for the unread ones on the page).

Mounted by ``onecounter.urls`` with the tracking pages (namespace ``tracking``) at
``me/notices/``: URL name ``tracking:notices``.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from onecounter.models import Notification

PAGE_SIZE = 20


@never_cache
@login_required
@require_GET
def my_notices(request: HttpRequest) -> HttpResponse:
    notices = (
        Notification.objects.filter(user=request.user)
        .select_related("dossier")
        .only("subject", "body", "created_at", "read_at", "dossier__code")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    unread = [n.pk for n in page.object_list if n.read_at is None]
    if unread:
        # The page still shows them as new this once.
        Notification.objects.filter(pk__in=unread, user=request.user).update(read_at=timezone.now())
    return render(request, "notices/list.html", {"page": page, "unread": set(unread)})


urlpatterns = [
    path("me/notices/", my_notices, name="notices"),
]
