from django.apps import AppConfig


class EditorialConfig(AppConfig):
    name = "masthead.editorial"
    label = "editorial"
    verbose_name = "Editorial"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from masthead.editorial import signal_handlers

        signal_handlers.connect()
