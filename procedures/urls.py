"""URLs of the procedure catalog: the public catalog at /procedures/ and its
administration at /back-office/catalog/ (included from egov/urls.py)."""

from django.urls import include, path

from procedures import views, views_admin

public_patterns = (
    [
        path("", views.catalog, name="list"),
        path("<str:code>/", views.procedure_detail, name="detail"),
        path(
            "<str:code>/documents/<int:pk>/template/",
            views.document_template,
            name="document-template",
        ),
    ],
    "procedures",
)

admin_patterns = (
    [
        path("", views_admin.procedure_list, name="list"),
        path("new/", views_admin.procedure_create, name="create"),
        path("<uuid:pk>/", views_admin.procedure_detail, name="detail"),
        path("<uuid:pk>/edit/", views_admin.procedure_edit, name="edit"),
        path("<uuid:pk>/publish/", views_admin.procedure_publish, name="publish"),
        path("<uuid:pk>/preview/", views_admin.procedure_preview, name="preview"),
        path("<uuid:pk>/history/", views_admin.procedure_history, name="history"),
        path("<uuid:pk>/documents/new/", views_admin.document_create, name="document-create"),
        path(
            "<uuid:pk>/documents/<int:document_id>/",
            views_admin.document_edit,
            name="document-edit",
        ),
        path(
            "<uuid:pk>/documents/<int:document_id>/remove/",
            views_admin.document_delete,
            name="document-delete",
        ),
        path(
            "<uuid:pk>/documents/<int:document_id>/template/",
            views_admin.document_template,
            name="document-template",
        ),
        path("<uuid:pk>/questions/new/", views_admin.question_create, name="question-create"),
        path(
            "<uuid:pk>/questions/<int:question_id>/",
            views_admin.question_edit,
            name="question-edit",
        ),
        path(
            "<uuid:pk>/questions/<int:question_id>/remove/",
            views_admin.question_delete,
            name="question-delete",
        ),
        path(
            "<uuid:pk>/questions/<int:question_id>/move/",
            views_admin.question_move,
            name="question-move",
        ),
    ],
    "catalog",
)

urlpatterns = [
    path("procedures/", include(public_patterns)),
    path("back-office/catalog/", include(admin_patterns)),
]
