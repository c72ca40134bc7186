from django.apps import AppConfig


class StockWagtailConfig(AppConfig):
    name = "stockwagtail"
    label = "stockwagtail"
