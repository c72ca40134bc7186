from django.apps import AppConfig


class BriefsConfig(AppConfig):
    name = "masthead.briefs"
    label = "briefs"
    verbose_name = "Briefs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from masthead.briefs import signal_handlers

        signal_handlers.connect()
