"""The Celery application: background jobs (PDFs, handoffs, notifications).

Configuration comes from Django settings prefixed ``CELERY_``: acks late,
prefetch 1, time limits and JSON only (see egov/settings.py). With no broker
configured, tasks run in-process (``CELERY_TASK_ALWAYS_EAGER``).
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egov.settings")

# How often the beat sweeps the outboxes (events, paid payments, handoffs); read
# here, not from Django settings, which import this module (egov/__init__.py).
SWEEP_SECONDS = float(os.environ.get("EGOV_SWEEP_SECONDS", "5"))

app = Celery("egov")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["onecounter.payments"])
app.autodiscover_tasks(["onecounter.retention"])

app.conf.beat_schedule = {
    "purge-expired-sessions": {
        "task": "egov.tasks.clear_expired_sessions",
        "schedule": crontab(minute=17, hour=2),
    },
    "onecounter-sweep-pending-events": {
        "task": "onecounter.sweep_pending_events",
        "schedule": SWEEP_SECONDS,
    },
    "onecounter-deliver-pending-notices": {
        "task": "onecounter.deliver_pending_notices",
        "schedule": 300.0,
    },
    "onecounter-sweep-paid-payments": {
        "task": "onecounter.payments.sweep_paid_payments",
        "schedule": SWEEP_SECONDS,
    },
    "beat-heartbeat": {
        "task": "egov.tasks.heartbeat",
        "schedule": 60.0,
    },
    "interconnect-sweep-handoffs": {
        "task": "interconnect.sweep_handoffs",
        "schedule": SWEEP_SECONDS,
    },
    "onecounter-expire-supplements": {
        "task": "onecounter.expire_supplements",
        "schedule": crontab(minute=5),
    },
    "stats-catch-up": {
        "task": "stats.catch_up",
        "schedule": 300.0,
    },
    "stats-nightly-rebuild": {
        "task": "stats.nightly_rebuild",
        "schedule": crontab(minute=11, hour=1),
    },
    "stats-weekly-reports": {
        "task": "stats.send_weekly_reports",
        "schedule": crontab(minute=0, hour=7, day_of_week=1),
    },
    "onecounter-retention-propose-lists": {
        "task": "onecounter.retention.propose_destruction_lists",
        "schedule": crontab(minute=40, hour=2),
    },
    "onecounter-sweep-orphan-files": {
        "task": "onecounter.sweep_orphan_files",
        "schedule": crontab(minute=35),
    },
    "onecounter-purge-old-drafts": {
        "task": "onecounter.purge_old_drafts",
        "schedule": crontab(minute=43, hour=3),
    },
    "engagement-escalate-late-feedback": {
        "task": "engagement.escalate_late_feedback",
        "schedule": crontab(minute=20),
    },
    "engagement-purge-unverified-feedback": {
        "task": "engagement.purge_unverified_feedback",
        "schedule": crontab(minute=50, hour=3),
    },
}
