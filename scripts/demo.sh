#!/usr/bin/env bash
# make demo: install, migrate, load the demo data and serve the portal.
# No configuration: PostgreSQL (database egov_demo) and Redis on this machine,
# started or installed when missing (scripts/ensure-services.sh), with a Celery
# worker and beat. Set DATABASE_URL / REDIS_URL to use others. Only when
# PostgreSQL cannot be had: SQLite under var/ and background jobs in-process
# (no statistics: they need PostgreSQL; docs/adr/0006-demo-on-postgresql.md).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

scripts/bootstrap.sh
export DJANGO_HTTPS=${DJANGO_HTTPS:-0}
HOST=${DEMO_HOST:-127.0.0.1}
PORT=${DEMO_PORT:-8000}
# The QR codes on result documents lead here: to the address the demo serves on.
export EGOV_PUBLIC_BASE_URL=${EGOV_PUBLIC_BASE_URL:-http://$HOST:$PORT}
PY=.venv/bin/python
mkdir -p var/log

if [ -z "${DATABASE_URL:-}" ] && [ -z "${DEMO_SQLITE:-}" ]; then
  demo_db=postgres://postgres@127.0.0.1:5432/egov_demo
  demo_redis=${REDIS_URL:-redis://127.0.0.1:6379/2}
  if DATABASE_URL=$demo_db REDIS_URL=$demo_redis scripts/ensure-services.sh; then
    export DATABASE_URL=$demo_db REDIS_URL=$demo_redis
  else
    say "PostgreSQL could not be started: falling back to SQLite (no statistics)"
  fi
fi

if [ -n "${DATABASE_URL:-}" ]; then
  say "Database: $DATABASE_URL"
  DATABASE_URL=$DATABASE_URL $PY - <<'PY'
import os, dj_database_url, psycopg2
cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
kw = dict(user=cfg["USER"] or "postgres", password=cfg["PASSWORD"] or None,
          host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432)
conn = psycopg2.connect(dbname="postgres", **kw)
conn.autocommit = True
with conn.cursor() as cur:
    cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
    if not cur.fetchone():
        cur.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
PY
else
  say "Database: SQLite at var/portal.sqlite3 (set DATABASE_URL for PostgreSQL)"
fi

$PY manage.py migrate --noinput
$PY manage.py createcachetable
$PY manage.py collectstatic --noinput --verbosity 0
$PY manage.py seed_demo
# A year of dossiers in every state and their statistics (PostgreSQL only; safe to run again).
$PY manage.py seed_history
# Questions and feedback at every step, for the demo ward.
$PY manage.py seed_engagement
# Old closed dossiers past their retention, and the destruction list proposed for them.
$PY manage.py seed_retention
# A few rows in the states real failures leave, for the failures page (safe to run again).
$PY manage.py seed_failures

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

if [ -n "${REDIS_URL:-}" ]; then
  say "Background jobs: Celery worker and beat on $REDIS_URL (logs in var/log/)"
  .venv/bin/celery -A egov worker --loglevel INFO --concurrency 2 >var/log/worker.log 2>&1 &
  pids+=($!)
  .venv/bin/celery -A egov beat --loglevel INFO --schedule var/celerybeat-schedule >var/log/beat.log 2>&1 &
  pids+=($!)
else
  say "Background jobs: in-process (set REDIS_URL to run a Celery worker and beat)"
fi

say "The portal is at http://$HOST:$PORT/  (sign in: http://$HOST:$PORT/accounts/login/; Ctrl-C stops it)"
.venv/bin/gunicorn egov.wsgi:application --bind "$HOST:$PORT" --workers 2 --threads 4 \
  --access-logfile - --error-logfile - &
pids+=($!)
wait "${pids[-1]}"
