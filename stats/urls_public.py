"""The public statistics page (no sign-in): ``stats:public``."""

from django.urls import URLPattern, path

from stats import public_views

urlpatterns: list[URLPattern] = [
    path("public/", public_views.public_statistics, name="public"),
]
