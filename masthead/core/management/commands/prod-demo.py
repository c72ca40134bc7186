"""`masthead prod-demo`: the same command as `prod_demo`."""

import importlib

Command = importlib.import_module("masthead.core.management.commands.prod_demo").Command
