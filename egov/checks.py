"""System checks run by ``manage.py check --deploy``."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def payment_gateway_check(app_configs, **kwargs):
    errors = []
    if settings.PRODUCTION and settings.EGOV_PAYMENT_PROVIDER == "test":
        errors.append(
            Error(
                "The built-in test payment gateway is enabled in production.",
                hint="Set EGOV_PAYMENT_PROVIDER=vnpay with VNPAY_URL, VNPAY_TMN_CODE and VNPAY_HASH_SECRET.",
                id="egov.E001",
            )
        )
    if (
        settings.PRODUCTION
        and settings.EGOV_PAYMENT_PROVIDER == "vnpay"
        and not (settings.VNPAY_URL and settings.VNPAY_TMN_CODE and settings.VNPAY_HASH_SECRET)
    ):
        errors.append(
            Error(
                "The VNPAY payment gateway is not configured.",
                hint="Set VNPAY_URL, VNPAY_TMN_CODE and VNPAY_HASH_SECRET.",
                id="egov.E002",
            )
        )
    return errors


LOCAL_HOSTS = {"localhost", "127.0.0.1", "0.0.0.0", "::1", "::"}


def _is_local(hostname: str) -> bool:
    """Whether ``hostname`` names the server itself, not a public address."""
    hostname = hostname.lower().rstrip(".")
    return hostname in LOCAL_HOSTS or hostname.endswith(".localhost") or hostname.startswith("127.")


@register(Tags.security, deploy=True)
def public_base_url_check(app_configs, **kwargs):
    """The QR codes printed on result documents lead to EGOV_PUBLIC_BASE_URL:
    in production it must be the portal's public https address (the default,
    http://localhost:8000, or any address of the server itself, would print
    codes that lead nowhere)."""
    if not settings.PRODUCTION:
        return []
    url = urlsplit(settings.EGOV_PUBLIC_BASE_URL or "")
    if url.scheme == "https" and url.hostname and not _is_local(url.hostname):
        return []
    return [
        Error(
            "EGOV_PUBLIC_BASE_URL is not the portal's public https address.",
            hint=(
                "Set EGOV_PUBLIC_BASE_URL to the address citizens reach the portal at, "
                "e.g. https://dichvucong.example.vn: the QR codes on result documents "
                "lead there."
            ),
            id="egov.E003",
        )
    ]
