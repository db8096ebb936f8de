#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer at DATABASE_URL / REDIS_URL (and, with
# --browser, that Chromium is installed). Starts or installs them when missing
# (apt-get, as root); otherwise says exactly what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

: "${DATABASE_URL:=postgres://postgres@127.0.0.1:5432/egov}"
: "${REDIS_URL:=redis://127.0.0.1:6379/0}"
PY=.venv/bin/python

pg_ok() {
  DATABASE_URL=$DATABASE_URL $PY - <<'PY' 2>/dev/null
import os, sys, dj_database_url, psycopg2
cfg = dj_database_url.parse(os.environ["DATABASE_URL"])
try:
    psycopg2.connect(dbname="postgres", user=cfg["USER"] or "postgres", password=cfg["PASSWORD"] or None,
                     host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, connect_timeout=3).close()
except Exception:
    sys.exit(1)
PY
}

redis_ok() {
  REDIS_URL=$REDIS_URL $PY -c "import os, redis; redis.Redis.from_url(os.environ['REDIS_URL'], socket_connect_timeout=3).ping()" 2>/dev/null
}

start_pg() {
  if command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql/*/main >/dev/null 2>&1; then
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  fi
}

if ! pg_ok; then
  say "PostgreSQL does not answer at $DATABASE_URL; trying to start it"
  start_pg; sleep 2
  if ! pg_ok; then
    if apt_install postgresql postgresql-contrib; then
      version=$(ls /etc/postgresql | sort -V | tail -n 1)
      hba=/etc/postgresql/$version/main/pg_hba.conf
      # A local test server: trust connections from this machine only.
      sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "$hba"
      sed -i -E 's/^(local\s+all\s+(postgres|all)\s+)\S+/\1trust/' "$hba"
      start_pg; sleep 3
    fi
  fi
  pg_ok || die "PostgreSQL is needed at $DATABASE_URL. Install it (Debian: apt-get install postgresql) and allow user postgres from 127.0.0.1, or set DATABASE_URL."
fi

if ! redis_ok; then
  say "Redis does not answer at $REDIS_URL; trying to start it"
  if ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server || true
  fi
  if command -v redis-server >/dev/null 2>&1; then
    mkdir -p /tmp/egov-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp/egov-redis --logfile /tmp/egov-redis/redis.log >/dev/null || true
    sleep 1
  fi
  redis_ok || die "Redis is needed at $REDIS_URL. Install it (Debian: apt-get install redis-server) or set REDIS_URL."
fi

if [ "${1:-}" = "--browser" ]; then
  if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    apt_install chromium || die "The browser tests need Chromium: apt-get install chromium (or set CHROMIUM=/path/to/chromium)."
  fi
fi
say "Services ready: PostgreSQL and Redis answer"
