"""Settings of the Celery worker that the worker tests start: the test settings
(same database, storage under EGOV_VAR_DIR), but tasks really go through the
broker. The environment (DATABASE_URL, CELERY_BROKER_URL, EGOV_*) is set by the
fixture in tests/workers/conftest.py."""

from tests.settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
# Emails to files, so a test can read what the worker sent.
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = str(VAR_DIR / "mail")  # noqa: F405
