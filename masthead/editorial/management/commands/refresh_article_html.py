"""Render again the stored <article> and metadata fragments whose key is not current.

Run after a deploy that changed editorial/article_main.html, components/metadata.html,
components/share.html or components/macros.html (pages render the fragments live until then),
and after loading records written without them. Safe to run at any time, and twice.
"""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from masthead.editorial import services


class Command(BaseCommand):
    help = "Render again the stored article fragments that are out of date."

    def handle(self, *args, **options):
        show = options["verbosity"] > 0
        with tqdm(unit=" articles", desc="rendering", disable=not show) as bar:
            refreshed = services.article_html_refresh(progress=bar)
        if show:
            self.stdout.write(f"{refreshed:,} articles' fragments rendered again.")
