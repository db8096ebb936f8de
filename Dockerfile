# syntax=docker/dockerfile:1
# One image for every process of the full stack (see docker-compose.yml):
# the web app (the default command), the Celery worker and beat, migrations.
# The project's default SQLite needs no server, but this image is meant to run
# with PostgreSQL and Redis (DATABASE_URL, REDIS_URL). See docs/operations.md.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=egov.settings \
    EGOV_VAR_DIR=/app/var \
    DJANGO_STATIC_ROOT=/app/staticfiles \
    WEB_CONCURRENCY=3

# WeasyPrint renders PDFs with Pango/HarfBuzz (plus fonts that cover Vietnamese);
# gettext's msgfmt compiles the translations below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
        fontconfig fonts-dejavu-core \
        gettext \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 egov \
    && useradd --system --uid 10001 --gid egov --home-dir /app --shell /usr/sbin/nologin egov

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY requirements.lock ./
RUN python -m venv /opt/venv \
    && pip install --require-hashes -r requirements.lock

# The code belongs to root and is read-only for the app; only /app/var is writable.
COPY . .

# Static files are collected into /app/staticfiles, outside the /app/var volume, so a
# new image always serves its own assets. The secret is a throwaway for the build.
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput --verbosity 0 \
    && if find . -path ./var -prune -o -path '*/locale/*' -name '*.po' -print | grep -q .; then \
        DJANGO_SECRET_KEY=build-only python manage.py compilemessages --ignore 'var/*' --verbosity 0; \
    fi \
    && rm -rf /app/var \
    && mkdir -p /app/var/private \
    && chown -R egov:egov /app/var

USER 10001:10001
EXPOSE 8000

# /healthz answers 200 while the process runs. Django checks the Host header, so
# the probe sends the first entry of DJANGO_ALLOWED_HOSTS (".example.vn" -> "example.vn").
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; h = (os.environ.get('DJANGO_ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('*.') or 'localhost'; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=4)"]

# Workers: WEB_CONCURRENCY (read by gunicorn itself; default 3 here). More gunicorn
# options can be added with GUNICORN_CMD_ARGS. The access log leaves out query
# strings, referrers and client addresses: no personal data in logs.
CMD ["gunicorn", "egov.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--threads", "4", \
     "--worker-tmp-dir", "/dev/shm", \
     "--max-requests", "1000", "--max-requests-jitter", "100", \
     "--access-logfile", "-", "--error-logfile", "-", \
     "--access-logformat", "%(t)s \"%(m)s %(U)s\" %(s)s %(b)s %(M)sms"]
