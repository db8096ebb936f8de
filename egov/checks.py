"""System checks run by ``manage.py check --deploy``."""

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
