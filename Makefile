# The two commands of the README's Quick start are `make demo` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
export DATABASE_URL_TEST ?= postgres://postgres@127.0.0.1:5432/egov
export REDIS_URL_TEST ?= redis://127.0.0.1:6379/15

.PHONY: demo test install lint format check-migrations messages lock clean bench

install:
	scripts/bootstrap.sh

demo:
	scripts/demo.sh

test: install
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} REDIS_URL=$${REDIS_URL:-$(REDIS_URL_TEST)} scripts/ensure-services.sh --browser
	$(MAKE) --no-print-directory lint check-migrations
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} REDIS_URL=$${REDIS_URL:-$(REDIS_URL_TEST)} \
		$(PY) -m pytest $(PYTEST_ARGS)

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

check-migrations:
	DJANGO_HTTPS=0 $(PY) manage.py makemigrations --check --dry-run

# Extract and compile translations (needs GNU gettext: apt-get install gettext).
messages:
	DJANGO_HTTPS=0 $(PY) manage.py makemessages -l vi -l en --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	DJANGO_HTTPS=0 $(PY) manage.py compilemessages --ignore '.venv/*'

# Re-resolve the locks from pyproject.toml (needs `pip install uv`):
# requirements.lock for production (the Docker image), requirements-dev.lock
# (runtime + test tools) for make demo / make test.
lock:
	uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -o requirements.lock
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements-dev.lock

# Population benchmark on PostgreSQL (BENCH_PERSONS=10000000 for city scale; docs/performance.md).
bench:
	scripts/bench.sh

clean:
	rm -rf var/ .pytest_cache
