"""Staff API for handoffs (list, inspect, retry)."""

urlpatterns: list = []
