from django.urls import include, path

from onecounter import views_backoffice, views_public

urlpatterns = [
    path("back-office/", include((views_backoffice.urlpatterns, "dossiers"))),
    path("", include((views_public.urlpatterns, "tracking"))),
]
