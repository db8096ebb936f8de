"""Filled in by its part of the statistics."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
