from django.urls import include, path

from onecounter import views_backoffice, views_mine, views_public

urlpatterns = [
    path("back-office/", include((views_backoffice.urlpatterns, "dossiers"))),
    path("back-office/agencies/<str:code>/logbook/", include("onecounter.views_logbook")),
    path("", include((views_public.urlpatterns, "tracking"))),
    path("me/", include((views_mine.urlpatterns, "mine"))),
    path("payments/", include("onecounter.payments.views", namespace="payments")),
    path("file/", include(("onecounter.views_filing", "filing"))),
]
