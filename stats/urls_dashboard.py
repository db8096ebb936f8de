"""The staff pages: the dashboard, the Decision 766 index and the drill-downs."""

from django.urls import URLPattern, path

from stats import feedback_views, views

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("index/", views.index, name="index766"),
    path("index/procedures/", views.procedures_drill, name="procedures-drill"),
    path("dossiers/<str:which>/", views.drill, name="drill"),
    path("feedback/<str:which>/", feedback_views.feedback_drill, name="feedback-drill"),
]
