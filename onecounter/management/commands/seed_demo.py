from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from citizens import demo
from citizens.services import administrative_units_load
from procedures.demo import seed_catalog
from workdays.services import calendar_seed


class Command(BaseCommand):
    help = (
        "Create (or refresh) the demo: administrative units, the working-day calendar, a demo "
        "ward of Hà Nội with its agencies, the procedure catalog, staff accounts for every role, a synthetic city of --persons people (generated "
        "with a fixed seed under var/demo/ and imported) and the demo citizen's family, his "
        "account linked to his record. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even when DJANGO_ENV=production."
        )
        parser.add_argument(
            "--persons",
            type=int,
            default=demo.DEMO_PERSONS,
            help=f"People in the synthetic city (default {demo.DEMO_PERSONS:,}; 0: none).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEMO_POPULATION_SEED,
            help="Seed of the synthetic city (the same seed gives the same people).",
        )

    def handle(self, *args, force=False, persons=demo.DEMO_PERSONS, seed=None, **options):
        if settings.PRODUCTION and not force:
            raise CommandError("Refusing to create demo accounts in production (use --force).")
        summary = administrative_units_load()
        self.stdout.write(f"Administrative units: {summary}")
        self.stdout.write(f"Working-day calendar: {calendar_seed()} days added")
        agencies = demo.seed_agencies()
        self.stdout.write(f"Agencies: {', '.join(sorted(agencies))}")
        catalog = seed_catalog()
        self.stdout.write(f"Procedure catalog: {catalog['procedures']} procedures")
        for spec in demo.ACCOUNTS:
            demo.seed_account(spec, agencies)
        self._seed_population(persons, demo.DEMO_POPULATION_SEED if seed is None else seed)
        self._print_accounts()

    def _seed_population(self, persons: int, seed: int) -> None:
        w = self.stdout.write
        if persons < 0:
            raise CommandError("--persons cannot be negative.")
        population = demo.seed_population(persons=persons, seed=seed)
        result, citizen = population.result, population.citizen
        w(
            f"Population: {result.rows_read:,} people from {population.csv_path} "
            f"({result.inserted:,} new, {result.updated:,} updated, "
            f"{result.unchanged:,} unchanged, {result.rejected:,} rejected) "
            f"in {result.seconds:.1f} s"
        )
        household = citizen.memberships.filter(end_date__isnull=True).select_related("household")
        number = household[0].household.number if household else "-"
        w(
            f"Demo citizen: {citizen.full_name}, ID {citizen.id_number}, head of household "
            f"{number} in {citizen.permanent_unit.name} with his wife and two children; "
            f"account {demo.CITIZEN_EMAIL} linked at level 1"
            + (" (now)" if population.linked_now else "")
        )
        w(f"  record (staff): /back-office/population/persons/{citizen.pk}/")

    def _print_accounts(self):
        w = self.stdout.write
        w("")
        w(self.style.SUCCESS("Demo accounts (sign in at /accounts/login/):"))
        w(f"  {'email':<28} {'password':<18} {'role @ agency':<36} TOTP secret")
        for spec in demo.ACCOUNTS:
            if spec.role:
                where = f"{spec.role} @ {spec.agency}"
            else:
                where = "superuser (Django admin)" if spec.superuser else "citizen"
            w(f"  {spec.email:<28} {spec.password:<18} {where:<36} {spec.totp_secret or '-'}")
        w("")
        w("Staff sign in with a TOTP code: add the secret to an authenticator app, or run")
        w("  .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\"")
