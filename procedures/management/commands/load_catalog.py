from django.core.management.base import BaseCommand, CommandError

from procedures.demo import CATALOG_DIR, CatalogDataError, seed_catalog


class Command(BaseCommand):
    help = (
        "Create or refresh the procedure catalog from YAML: fields.yaml and procedures.yaml in "
        f"the given folder (default: the demo catalog of Hà Nội, {CATALOG_DIR}). Each procedure "
        "is matched by its code; a second run changes nothing. Offering agencies that do not "
        "exist yet are skipped (seed_demo creates the demo agencies)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help="Folder with fields.yaml and procedures.yaml (default: the bundled demo catalog).",
        )

    def handle(self, *args, path=None, **options):
        try:
            counts = seed_catalog(path)
        except CatalogDataError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Fields: {counts['fields']}")
        self.stdout.write(
            f"Procedures: {counts['procedures']} "
            f"({counts['changed']} created or updated, "
            f"{counts['procedures'] - counts['changed']} unchanged)"
        )
        if counts["missing_agencies"]:
            self.stderr.write(
                self.style.WARNING(
                    "Agencies not found, skipped: " + ", ".join(counts["missing_agencies"])
                )
            )
