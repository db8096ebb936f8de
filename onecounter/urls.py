from django.urls import include, path

from onecounter import views_backoffice, views_public

urlpatterns = [
    path("back-office/", include((views_backoffice.urlpatterns, "dossiers"))),
    path("back-office/agencies/<str:code>/logbook/", include("onecounter.views_logbook")),
    path("", include((views_public.urlpatterns, "tracking"))),
]
