"""The portal's URLs plus /bench/hello, a constant JSON answer through the same
middleware: what a request costs before any work is done. And the same answer
under the agency API's prefix, served by its lean path (no session
middleware), to show what skipping that middleware is worth."""

from django.http import JsonResponse
from django.urls import path

from egov.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401

HELLO = {"hello": "xin chào", "version": 1}


def hello(request):
    return JsonResponse(HELLO)


urlpatterns = [
    path("bench/hello", hello, name="bench-hello"),
    path("api/v1/agency/bench-hello", hello, name="bench-hello-lean"),
    *urlpatterns,
]
