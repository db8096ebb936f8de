"""The failures page, included by egov/urls.py under /back-office/failures/."""

from operations.views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
