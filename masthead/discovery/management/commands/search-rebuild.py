"""`masthead search-rebuild`: the same command as `search_rebuild`."""

import importlib

Command = importlib.import_module(
    "masthead.discovery.management.commands.search_rebuild"
).Command
