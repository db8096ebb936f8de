"""Settings for the benchmark server: the portal's own, plus a constant-JSON view
(/bench/hello) as the floor the lookup is compared with, and no per-key rate
limit (the load generator is one client sending thousands of requests)."""

from egov.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
EGOV_AGENCY_API_RATE = "1000000000/min"
DEBUG = False
# Pages render without collectstatic (as in the tests).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
