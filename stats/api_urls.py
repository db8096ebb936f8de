"""The statistics API routes (included under /api/v1/, namespace ``api``)."""

from django.urls import URLPattern, path

from stats import api

urlpatterns: list[URLPattern] = [
    path("statistics/public/", api.PublicStatisticsApi.as_view(), name="stats-public"),
    path("statistics/summary/", api.SummaryApi.as_view(), name="stats-summary"),
    path("statistics/breakdown/<str:by>/", api.BreakdownApi.as_view(), name="stats-breakdown"),
    path("statistics/trend/", api.TrendApi.as_view(), name="stats-trend"),
    path("statistics/index/", api.IndexApi.as_view(), name="stats-index"),
]
