"""`masthead serve`: the web app under granian (or gunicorn), static files collected if changed.

Granian is the default because it measured cheaper here: on an app-cache hit of an article page
0.24 ms of server CPU per request against 0.70–0.85 ms under gunicorn (sync or gthread), and
1.35 against 2.18 ms when the page is rendered (docs/decisions/0008-granian.md). gunicorn stays
available with `--server gunicorn` (WEB_SERVER=gunicorn).
"""

import hashlib
import os
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from django.core.management.base import BaseCommand

STAMP = ".collected"  # in STATIC_ROOT: the fingerprint of the sources last collected


def static_fingerprint() -> str:
    """Every static source file's path, size and mtime, and how they are stored, hashed."""
    entries = []
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            entries.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n")
    digest = hashlib.sha256(repr(settings.STORAGES["staticfiles"]).encode())
    digest.update(settings.STATIC_URL.encode())
    for entry in sorted(entries):
        digest.update(entry.encode())
    return digest.hexdigest()


def collect_static() -> None:
    """collectstatic, unless nothing changed since the last run: hashing and compressing every
    file takes 30 s of CPU, which a server restarting after a crash should not spend."""
    stamp = Path(settings.STATIC_ROOT) / STAMP
    fingerprint = static_fingerprint()
    if stamp.is_file() and stamp.read_text() == fingerprint:
        return
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)


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
        collect_static()
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
