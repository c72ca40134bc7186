from django.apps import AppConfig


class EdgeConfig(AppConfig):
    """What sits between Masthead and its readers: cache headers, the app page cache, purges."""

    name = "masthead.edge"
    label = "edge"
