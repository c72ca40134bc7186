from masthead.newsletter.management.commands.read_unsubscribes import Command  # noqa: F401
