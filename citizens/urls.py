from django.urls import include, path

from citizens import views, views_me, views_staff

me_patterns = ([path("", views.my_space, name="home"), *views_me.urlpatterns], "me")

backoffice_patterns = (
    [
        path("", views.backoffice_home, name="home"),
        path("agencies/<str:code>/", views.backoffice_agency, name="agency"),
        *views_staff.urlpatterns,
    ],
    "backoffice",
)

urlpatterns = [
    path("me/", include(me_patterns)),
    path("back-office/", include(backoffice_patterns)),
]
