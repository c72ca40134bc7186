"""`masthead run`: the web server and the worker together, until Ctrl-C or SIGTERM."""

import os
import signal
import subprocess
import sys
import threading

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the site and run the worker side by side (one machine)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args, port, **options):
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        masthead = [sys.executable, "-m", "masthead.cli"]
        procs = [
            subprocess.Popen(masthead + ["serve", "--port", str(port)]),
            subprocess.Popen(masthead + ["worker"]),
        ]
        while not stop.wait(0.5):
            if any(p.poll() is not None for p in procs):
                self.stderr.write("A process stopped; stopping the others.")
                break
        for p in procs:  # stop exactly the processes started here, by pid
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
