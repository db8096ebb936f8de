"""Issue an API key for another agency's system: ``manage.py issue_agency_key
--agency CA-LB --purpose residence --name "Residence software"``.

The key is printed once and only its hash is stored: hand it over securely.
"""

from django.core.management.base import BaseCommand, CommandError

from citizens.agency_api.auth import agency_credential_issue
from citizens.agency_api.purposes import ONE_STOP_PURPOSE, ONE_STOP_ROLES, PURPOSES
from citizens.models import Agency
from egov.errors import DomainError


class Command(BaseCommand):
    help = "Issue an API key for an agency's system, for one purpose. Prints the key once."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="Agency code, e.g. CALB")
        parser.add_argument(
            "--purpose",
            required=True,
            choices=[*sorted(PURPOSES), ONE_STOP_PURPOSE],
            help="What the key may read (decides the fields a lookup returns), or "
            f"{ONE_STOP_PURPOSE!r}: work the agency's dossiers through the staff API",
        )
        parser.add_argument(
            "--role",
            default="",
            choices=["", *ONE_STOP_ROLES],
            help=f"With --purpose {ONE_STOP_PURPOSE}: the staff role the software acts in",
        )
        parser.add_argument("--name", required=True, help="Which system uses the key")

    def handle(self, *args, agency: str, purpose: str, name: str, role: str = "", **options):
        try:
            agency_obj = Agency.objects.get(code=agency.strip().upper())
        except Agency.DoesNotExist as exc:
            raise CommandError(f"No agency has the code {agency!r}.") from exc
        try:
            credential, key = agency_credential_issue(
                agency=agency_obj, name=name, purpose=purpose, role=role
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stderr.write(
            f"Issued key {credential.prefix} for {agency_obj.code} ({purpose}). "
            "Store it now: it is shown only once and cannot be recovered."
        )
        self.stdout.write(key)
