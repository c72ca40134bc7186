"""`masthead strip_image_metadata`: cut EXIF/GPS, XMP and comments from images stored before
uploads were cleaned, keeping every file's name and pixels.

    masthead strip_image_metadata [--dry-run]

Safe to run on a live site and to run again; see masthead/security/stored_images.py.
"""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from masthead.security import stored_images


class Command(BaseCommand):
    help = ("Cut EXIF/GPS, XMP, IPTC and comments from stored original images and renditions "
            "(with a progress bar).")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="Count the files that would be rewritten; write nothing.")

    def handle(self, *args, dry_run: bool, verbosity: int, **options):
        with tqdm(total=stored_images.stored_count(), unit=" files", desc="images",
                  disable=verbosity < 1) as bar:
            try:
                report = stored_images.images_strip(dry_run=dry_run, progress=bar.update)
            except stored_images.NotLocalStorage as exc:
                raise CommandError(f"{exc} This command rewrites files in MEDIA_ROOT.") from exc
        if verbosity > 1:
            for name in report.cleaned_names:
                self.stdout.write(f"  {'would clean' if dry_run else 'cleaned'} {name}")
        verb = "Would clean" if dry_run else "Cleaned"
        self.stdout.write(
            f"{verb} {report.cleaned:,} of {report.examined:,} files; "
            f"{report.clean:,} had no metadata, {report.other_format:,} GIF/AVIF left as they "
            f"are, {report.missing:,} missing from disk, {report.unreadable:,} unreadable."
            + (" Nothing was written (--dry-run)." if dry_run else "")
        )
