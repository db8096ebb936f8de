from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from citizens import demo
from citizens.services import administrative_units_load


class Command(BaseCommand):
    help = (
        "Create (or refresh) the demo: administrative units, a demo ward of Hà Nội with its "
        "agencies, one staff account per role and one citizen. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even when DJANGO_ENV=production."
        )

    def handle(self, *args, force=False, **options):
        if settings.PRODUCTION and not force:
            raise CommandError("Refusing to create demo accounts in production (use --force).")
        summary = administrative_units_load()
        self.stdout.write(f"Administrative units: {summary}")
        agencies = demo.seed_agencies()
        self.stdout.write(f"Agencies: {', '.join(sorted(agencies))}")
        for spec in demo.ACCOUNTS:
            demo.seed_account(spec, agencies)
        self._print_accounts()

    def _print_accounts(self):
        w = self.stdout.write
        w("")
        w(self.style.SUCCESS("Demo accounts (sign in at /accounts/login/):"))
        w(f"  {'email':<26} {'password':<18} {'role @ agency':<36} TOTP secret")
        for spec in demo.ACCOUNTS:
            if spec.role:
                where = f"{spec.role} @ {spec.agency}"
            else:
                where = "superuser (Django admin)" if spec.superuser else "citizen"
            w(f"  {spec.email:<26} {spec.password:<18} {where:<36} {spec.totp_secret or '-'}")
        w("")
        w("Staff sign in with a TOTP code: add the secret to an authenticator app, or run")
        w("  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\"")
