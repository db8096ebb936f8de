"""django-allauth adapter: emails speak with the portal's name, not the host's."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        context = {"PORTAL_NAME": settings.PORTAL_NAME, **context}
        super().send_mail(template_prefix, email, context)
