"""/healthz/queues, included by egov/urls.py under /healthz/ (docs/failures.md)."""

from django.urls import path

from operations import metrics

urlpatterns = [path("queues", metrics.queues, name="healthz-queues")]
