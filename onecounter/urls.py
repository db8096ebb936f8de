from django.urls import include, path

from onecounter.notifications import views as views_notices
from onecounter.processing import counter as views_counter
from onecounter.processing import views as views_backoffice
from onecounter.tracking import views as views_public
from onecounter.wallet import views as views_mine

urlpatterns = [
    path(
        "back-office/",
        include(([*views_backoffice.urlpatterns, *views_counter.urlpatterns], "dossiers")),
    ),
    path("back-office/agencies/<str:code>/logbook/", include("onecounter.logbook.views")),
    path("back-office/retention/", include("onecounter.retention.views")),
    path("", include(([*views_public.urlpatterns, *views_notices.urlpatterns], "tracking"))),
    path("me/", include((views_mine.urlpatterns, "mine"))),
    path("payments/", include("onecounter.payments.views", namespace="payments")),
    path("file/", include(("onecounter.intake.views", "filing"))),
]
