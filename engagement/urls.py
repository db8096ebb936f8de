"""The questions and answers' pages (included by ``egov.urls``), namespace
``questions``: the public and the asker's pages (``views``) and the back
office's (``views_backoffice``, under /back-office/questions/)."""

from django.urls import include, path

from engagement import views, views_backoffice

app_name = "questions"

urlpatterns = [
    path("questions/", views.question_list, name="list"),
    path("questions/procedure/<str:code>/", views.procedure_questions, name="procedure"),
    path("questions/mine/", views.my_questions, name="mine"),
    path("questions/mine/<str:code>/", views.my_question, name="mine-detail"),
    path("back-office/questions/", include(views_backoffice.urlpatterns)),
]
