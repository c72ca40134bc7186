"""The `masthead` command: Django's management commands plus serve, worker, run, demo, seed."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "masthead"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
