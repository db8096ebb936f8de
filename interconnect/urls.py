"""Pages of the interconnection: the administrators' handoff screens
(``views_backoffice``) and the external registry's callback (``views_registry``)."""

from django.urls import include, path

from interconnect import views_backoffice, views_registry

urlpatterns = [
    path("back-office/handoffs/", include((views_backoffice.urlpatterns, "handoffs"))),
    path("interconnect/", include((views_registry.urlpatterns, "registry"))),
]
