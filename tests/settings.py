"""Settings for the test suite: real PostgreSQL and Redis (see the Makefile)."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/egov")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault(
    "DJANGO_SECRET_KEY", "tests-only-secret-key-not-for-production-use-0123456789"
)
os.environ.setdefault("EGOV_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))

from egov.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests run background tasks in-process (eagerly) after commit.
CELERY_TASK_ALWAYS_EAGER = True
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# The throttle counters live in the shared Redis; keep them out of the way of
# tests that do not test throttling (those set their own rates).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {
        "anon": "100000/min",
        "user": "100000/min",
        "agency_api": "100000/min",
        "questions": "100000/min",
        "feedback": "100000/min",
    },
}

# Query counts are asserted request by request: the staff pages ask for the
# second factor and the roles each time (the few seconds' reuse is tested
# on its own).
EGOV_MFA_ENROLLED_SECONDS = 0
EGOV_STAFF_ROLES_SECONDS = 0
EGOV_FAILURE_COUNT_SECONDS = 0
# Tests ask many questions as one person; the limit has its own test.
EGOV_QUESTIONS_MAX_PER_HOUR = 1000
