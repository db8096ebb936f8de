# The two commands of the README's Quick start are `make demo` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python
export DATABASE_URL_TEST ?= postgres://postgres@127.0.0.1:5432/egov
export REDIS_URL_TEST ?= redis://127.0.0.1:6379/15

.PHONY: demo test test-fast install lint format typecheck lint-imports check-migrations checks messages lock clean bench

install:
	scripts/bootstrap.sh

demo:
	scripts/demo.sh

test: install
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} REDIS_URL=$${REDIS_URL:-$(REDIS_URL_TEST)} scripts/ensure-services.sh --browser
	$(MAKE) --no-print-directory checks
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} REDIS_URL=$${REDIS_URL:-$(REDIS_URL_TEST)} \
		$(PY) -m pytest $(PYTEST_ARGS)

# The fast lane: the same checks and tests without the browser tests and the
# real-worker tests (no Chromium needed; PostgreSQL and Redis still are).
test-fast: install
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} REDIS_URL=$${REDIS_URL:-$(REDIS_URL_TEST)} scripts/ensure-services.sh
	$(MAKE) --no-print-directory checks
	DATABASE_URL=$${DATABASE_URL:-$(DATABASE_URL_TEST)} REDIS_URL=$${REDIS_URL:-$(REDIS_URL_TEST)} \
		$(PY) -m pytest -m "not browser and not worker" $(PYTEST_ARGS)

# The static checks make test runs before pytest (pre-commit runs them too).
checks: lint typecheck lint-imports check-migrations

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

# mypy with django-stubs on the modules listed in pyproject.toml ([tool.mypy] files).
typecheck:
	.venv/bin/mypy

# The import-layer contracts in .importlinter (docs/adr/0005-import-layers.md).
lint-imports:
	.venv/bin/lint-imports --no-logo --cache-dir var/cache/import-linter

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
