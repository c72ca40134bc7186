from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "masthead.core"
    label = "core"
    verbose_name = "Masthead core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from masthead.core import signal_handlers

        signal_handlers.connect()
