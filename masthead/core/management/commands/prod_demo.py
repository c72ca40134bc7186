"""`masthead prod-demo`: the production stack on this machine, on loopback, until Ctrl-C.

PostgreSQL and Redis (throwaway servers from Debian's packages), the app under granian
(`masthead serve`), the worker (`masthead worker`) and Varnish in front with
deploy/varnish/masthead.vcl, loaded with the demo magazine. Everything it starts it stops, by
process id, on Ctrl-C or SIGTERM; the database and files live in temporary directories and go
with it. See docs/deploy.md for running the same parts for real.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import tempfile
import time

from django.core.management.base import BaseCommand, CommandError

from masthead.core import localservices as ls


class Command(BaseCommand):
    help = ("Run PostgreSQL, Redis, the app (granian), the worker and Varnish in front on "
            "loopback, with the demo magazine, until Ctrl-C.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")),
                            help="Varnish's port: where readers connect (default 8000).")
        parser.add_argument("--workers", type=int, default=2, help="app server worker processes.")

    def handle(self, *args, port, workers, **options):
        if importlib.util.find_spec("redis") is None:
            raise CommandError("CACHE_URL=redis://... needs the redis Python client "
                               "(pip install redis)")
        _require_free(port)
        with ls.server_stack(say=self.stdout.write,
                             stopping="\nStopping everything prod-demo started…") as stack:
            try:
                servers = self._start(stack, port, workers)
                self._report(servers, port)
                _watch(servers)
            except KeyboardInterrupt:
                pass
            except ls.Unavailable as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write("Stopped.")

    def _start(self, stack: contextlib.ExitStack, port: int, workers: int) -> list[ls.Server]:
        def started(server: ls.Server) -> ls.Server:
            return ls.started(stack, server, say=self.stdout.write)

        var_dir = stack.enter_context(
            tempfile.TemporaryDirectory(prefix="masthead-prod-demo-", ignore_cleanup_errors=True))
        self.stdout.write("Starting PostgreSQL and Redis…")
        postgres = started(ls.start_postgres())
        redis = started(ls.start_redis())
        env = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST")}
        env.update(DJANGO_SETTINGS_MODULE="masthead.settings", VAR_DIR=var_dir,
                   DATABASE_URL=postgres.url, CACHE_URL=redis.url, TASK_BACKEND="database",
                   SITE_URL=f"http://127.0.0.1:{port}")
        self.stdout.write("Migrating and loading the demo magazine…")
        ls.load_demo(env)
        # The app and the worker purge Varnish after every change from now on.
        env["VARNISH_URLS"] = f"http://127.0.0.1:{port}"
        self.stdout.write("Starting the app, the worker and Varnish…")
        app = started(ls.start_app(env, workers=workers))
        varnish = started(ls.start_varnish(app.port, port=port))
        worker = started(ls.start_worker(env))
        return [postgres, redis, app, worker, varnish]

    def _report(self, servers: list[ls.Server], port: int) -> None:
        where = {
            "postgres": lambda s: s.url,
            "redis": lambda s: s.url,
            "app": lambda s: f"{s.url}  granian (`masthead serve`), log {s.extra['log']}",
            "worker": lambda s: f"`masthead worker`, log {s.extra['log']}",
            "varnish": lambda s: (f"{s.url}  in front of the app; admin 127.0.0.1:"
                                  f"{s.extra['admin_port']}, varnishlog -n {s.extra['instance']}"),
        }
        self.stdout.write("\nRunning:")
        for server in servers:
            self.stdout.write(
                f"  {server.name:<9} pid {server.proc.pid:<8} {where[server.name](server)}")
        self.stdout.write(
            f"\nThe Meridian Review at http://127.0.0.1:{port}/ (admin at /admin/, logins above).\n"
            f"`curl -sI http://127.0.0.1:{port}/ | grep X-Cache` shows MISS, then HIT; a "
            f"publish in the admin purges the pages showing it.\nCtrl-C stops everything.\n")


def _watch(servers: list[ls.Server]) -> None:
    """Until Ctrl-C; if any server exits on its own, say which and stop the rest."""
    while True:
        for server in servers:
            if server.proc.poll() is not None:
                log = server.extra.get("log")
                tail = ls.log_tail(log) if log else ""
                raise CommandError(f"{server.name} (pid {server.proc.pid}) exited with "
                                   f"{server.proc.returncode}\n{tail}")
        time.sleep(0.5)


def _require_free(port: int) -> None:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise CommandError(f"port {port} is in use: pick another with --port") from None
