"""`manage.py check --deploy` passes with the production variables of docs/operations.md."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


PAYMENT = {
    "VNPAY_URL": "https://sandbox.vnpayment.example/paymentv2/vpcpay.html",
    "VNPAY_TMN_CODE": "HANOI001",
    "VNPAY_HASH_SECRET": "not-a-real-secret-only-for-the-check",
}


def _run(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_variables():
    result = _run(
        {
            "DJANGO_SETTINGS_MODULE": "egov.settings",
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": "x" * 20 + "production-like-secret-key-for-the-deploy-check-0123",
            "DJANGO_ALLOWED_HOSTS": "dichvucong.example.vn",
            "DJANGO_CSRF_TRUSTED_ORIGINS": "https://dichvucong.example.vn",
            "EGOV_PUBLIC_BASE_URL": "https://dichvucong.example.vn",
            **PAYMENT,
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "egov.settings",
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "x" * 20 + "production-like-secret-key-for-the-deploy-check-0123",
    "DJANGO_ALLOWED_HOSTS": "dichvucong.example.vn",
    **PAYMENT,
}


@pytest.mark.parametrize(
    "public_url",
    [
        None,
        "",
        "http://dichvucong.example.vn",
        "https://localhost:8000",
        "https://127.0.0.1:8000",
        "https://127.0.1.1",
        "https://[::1]:8443",
        "https://portal.localhost",
        "dichvucong.example.vn",
    ],
)
def test_check_deploy_refuses_a_public_address_the_qr_codes_cannot_lead_to(public_url):
    """Given production, when EGOV_PUBLIC_BASE_URL is unset (its default is
    http://localhost:8000), empty, plain http, the server itself (localhost,
    127.0.0.1, ::1) or without a scheme, then
    the deploy check fails with egov.E003 (the QR codes on results would lead nowhere)."""
    env = dict(PRODUCTION)
    if public_url is not None:
        env["EGOV_PUBLIC_BASE_URL"] = public_url
    result = _run(env)
    assert result.returncode != 0
    assert "egov.E003" in result.stdout + result.stderr


def test_outside_production_the_default_public_address_passes_the_check():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_ENV"}  # http://localhost:8000
    result = _run(env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_refuses_the_test_payment_gateway_in_production():
    result = _run(
        {
            "DJANGO_SETTINGS_MODULE": "egov.settings",
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": "x" * 20 + "production-like-secret-key-for-the-deploy-check-0123",
            "DJANGO_ALLOWED_HOSTS": "dichvucong.example.vn",
            "EGOV_PAYMENT_PROVIDER": "test",
        }
    )
    assert result.returncode != 0
    assert "egov.E001" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _run({"DJANGO_SETTINGS_MODULE": "egov.settings", "DJANGO_ENV": "production"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_defaults_are_safe_debug_off_and_https_enforced():
    from django.conf import settings as live

    # The test settings turn HTTPS off explicitly; the defaults keep it on.
    code = (
        "import os; os.environ.pop('DJANGO_HTTPS', None); os.environ.pop('DJANGO_DEBUG', None);"
        "from egov import settings as s;"
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.split() == ["False", "True", "True", "True"], out.stderr
    assert live.DEBUG is False


def test_the_demo_points_the_qr_codes_at_the_address_it_serves_on():
    """Given scripts/demo.sh, when its host and port are set (or left to their
    defaults), then it exports EGOV_PUBLIC_BASE_URL=http://HOST:PORT, unless
    EGOV_PUBLIC_BASE_URL is already set."""
    lines = (ROOT / "scripts" / "demo.sh").read_text(encoding="utf-8").splitlines()
    setup = "\n".join(
        line for line in lines if line.startswith(("HOST=", "PORT=", "export EGOV_PUBLIC"))
    )
    assert "export EGOV_PUBLIC_BASE_URL" in setup

    def public_url(**env: str) -> str:
        base = {k: v for k, v in os.environ.items() if k not in ("DEMO_HOST", "DEMO_PORT")}
        base.pop("EGOV_PUBLIC_BASE_URL", None)
        out = subprocess.run(
            ["bash", "-c", f"{setup}\nbash -c 'echo \"$EGOV_PUBLIC_BASE_URL\"'"],
            env={**base, **env},
            capture_output=True,
            text=True,
            timeout=30,
        )
        return out.stdout.strip()

    assert public_url() == "http://127.0.0.1:8000"
    assert public_url(DEMO_HOST="0.0.0.0", DEMO_PORT="8123") == "http://0.0.0.0:8123"
    assert public_url(EGOV_PUBLIC_BASE_URL="https://demo.example.vn") == "https://demo.example.vn"
