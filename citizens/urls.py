from django.urls import include, path

from citizens import views

me_patterns = ([path("", views.my_space, name="home")], "me")

backoffice_patterns = (
    [
        path("", views.backoffice_home, name="home"),
        path("agencies/<str:code>/", views.backoffice_agency, name="agency"),
    ],
    "backoffice",
)

urlpatterns = [
    path("me/", include(me_patterns)),
    path("back-office/", include(backoffice_patterns)),
]
