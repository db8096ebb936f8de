"""The external civil-status registry's signed asynchronous callback."""

urlpatterns: list = []
