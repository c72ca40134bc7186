from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    """How readers find the magazine's work: search, feeds, sitemaps, share metadata."""

    name = "masthead.discovery"
    label = "discovery"
    verbose_name = "Discovery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import importlib.util

        if importlib.util.find_spec("masthead.discovery.signal_handlers"):
            from masthead.discovery import signal_handlers

            signal_handlers.connect()
