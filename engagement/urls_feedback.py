"""The feedback and recommendations' pages (included by ``egov.urls``),
namespace ``feedback``: the public and the sender's pages under /feedback/
(``views_feedback``), the back office's under /back-office/feedback/
(``views_feedback_backoffice``) and the categories in the catalog
administration (``views_categories``)."""

from django.urls import include, path

from engagement import views_categories, views_feedback, views_feedback_backoffice

app_name = "feedback"

urlpatterns = [
    path("feedback/", include(views_feedback.urlpatterns)),
    path("back-office/feedback/", include(views_feedback_backoffice.urlpatterns)),
    path("back-office/catalog/feedback-categories/", include(views_categories.urlpatterns)),
]
