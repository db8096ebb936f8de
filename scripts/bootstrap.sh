#!/usr/bin/env bash
# Create .venv and install the locked dependencies, plus the system libraries
# WeasyPrint needs. Safe to run again: it does nothing when all is in place.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  apt_install python3 python3-venv python3-dev || die "Python 3.11+ is required: install python3 and python3-venv."
fi
"$PYTHON" - <<'PY' || die "Python 3.11 or newer is required (found $("$PYTHON" --version 2>&1))."
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

# WeasyPrint renders PDFs with Pango; gettext's msgfmt compiles translations.
if ! ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0'; then
  apt_install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
    || die "WeasyPrint needs Pango: install libpango-1.0-0 and libpangoft2-1.0-0."
fi

if [ ! -x .venv/bin/python ]; then
  say "Creating the virtual environment in .venv"
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    apt_install python3-venv || die "Cannot create a virtual environment: install python3-venv."
    "$PYTHON" -m venv .venv
  fi
fi

stamp=.venv/.requirements-dev.lock.sha256
want=$(sha256sum requirements-dev.lock | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "Installing the locked dependencies (requirements-dev.lock)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet --require-hashes -r requirements-dev.lock
  echo "$want" > "$stamp"
fi
