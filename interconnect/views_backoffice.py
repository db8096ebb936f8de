"""Back-office pages for handoffs (administrators: list, inspect, retry)."""

urlpatterns: list = []
