from django.core.management.base import BaseCommand

from designmall.core.mediamend import media_mend


class Command(BaseCommand):
    help = (
        "Check every stored media file: re-encode images under proper names, move anything "
        "that is not a valid image to the quarantine (MEDIA_QUARANTINE_ROOT) and update the "
        "rows. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only report what would change")

    def handle(self, *args, dry_run=False, **options):
        report = media_mend(dry_run=dry_run, say=self.stdout.write)
        self.stdout.write(
            f"{report.files} files: {report.clean} clean, {report.reencoded} re-encoded, "
            f"{report.quarantined} quarantined, {report.missing} missing; rows: "
            f"{report.rows_updated} updated, {report.rows_emptied} emptied, "
            f"{report.rows_deleted} deleted" + (" (dry run: nothing changed)" if dry_run else "")
        )
