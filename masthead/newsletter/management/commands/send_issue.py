"""`masthead send_issue <issue id>`: the same command as `send-issue`."""

import importlib

Command = importlib.import_module(
    "masthead.newsletter.management.commands.send-issue"
).Command
