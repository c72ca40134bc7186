"""`masthead serve`: the web app under granian (or gunicorn), static files collected first.

Granian is the default because it measured cheaper here: on an app-cache hit of an article page
0.24 ms of server CPU per request against 0.70–0.85 ms under gunicorn (sync or gthread), and
1.35 against 2.18 ms when the page is rendered (docs/decisions/0008-granian.md). gunicorn stays
available with `--server gunicorn` (WEB_SERVER=gunicorn).
"""

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Masthead over HTTP with granian or gunicorn (static files through WhiteNoise)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "2")),
                            help="threads running requests in each worker process")
        parser.add_argument("--server", choices=("granian", "gunicorn"),
                            default=os.environ.get("WEB_SERVER", "granian"))

    def handle(self, *args, host, port, workers, threads, server, **options):
        call_command("collectstatic", interactive=False, verbosity=0)
        if server == "granian":
            argv = [
                sys.executable, "-m", "granian", "--interface", "wsgi",
                "--host", host, "--port", str(port),
                "--workers", str(workers), "--blocking-threads", str(threads),
                "--respawn-failed-workers", "--workers-kill-timeout", "10",
                "--log-level", "warning",
                *(["--access-log"] if settings.DEBUG else []),
                "masthead.wsgi:application",
            ]
        else:
            argv = [
                sys.executable, "-m", "gunicorn", "masthead.wsgi:application",
                "--bind", f"{host}:{port}",
                "--workers", str(workers),
                "--threads", str(threads),
                "--access-logfile", "-" if settings.DEBUG else "/dev/null",
                "--graceful-timeout", "10",
            ]
        self.stdout.write(f"Masthead at http://{host}:{port}/ (admin at /admin/), {server}, "
                          f"{workers} workers × {threads} threads")
        self.stdout.flush()
        os.execv(sys.executable, argv)
