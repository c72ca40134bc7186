"""`masthead run`: the web server and the worker together, until Ctrl-C."""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the site and run the worker side by side (one machine)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args, port, **options):
        masthead = [sys.executable, "-m", "masthead.cli"]
        procs = [
            subprocess.Popen(masthead + ["serve", "--port", str(port)]),
            subprocess.Popen(masthead + ["worker"]),
        ]
        try:
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for p in procs:  # stop exactly the processes started here, by pid
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
