"""A production-like Masthead on loopback for the audit's header check and wapiti scan.

A throwaway PostgreSQL (masthead.core.localservices), the demo magazine, and the app under
granian (`masthead serve`, start_app) with the settings of a real deployment behind nginx:
DEBUG off, SITE_URL=https://news.example.org, SECURE_PROXY=true, a random 50-character
SECRET_KEY. Requests must then carry `Host: news.example.org` and `X-Forwarded-Proto: https`,
as nginx would send them (HEADERS below); the app answers plain http on 127.0.0.1 only.

Two limits are raised for the audit, because every request comes from one address and a scanner
repeats itself: NEWSLETTER_RATE_PER_IP (else the sign-up form answers 429 after 20 posts and is
no longer tested) and LOGIN_FAILURE_LIMIT (else the admin login locks after 5 failed attempts and
answers the lockout page). Everything else is as deployed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from masthead.core import localservices as ls  # noqa: E402

PUBLIC_HOST = "news.example.org"
HEADERS = {"Host": PUBLIC_HOST, "X-Forwarded-Proto": "https"}


def secret_key(length: int = 50) -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def production_env(**extra: str) -> dict:
    """The environment of `masthead check --deploy` and of the audited app."""
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "HOST", "DATABASE_URL",
                                                              "CACHE_URL", "VARNISH_URLS")}
    env.update(DJANGO_SETTINGS_MODULE="masthead.settings", DEBUG="false",
               SITE_URL=f"https://{PUBLIC_HOST}", SECURE_PROXY="true",
               ALLOWED_HOSTS=f"{PUBLIC_HOST},127.0.0.1", SECRET_KEY=secret_key())
    env.update(extra)
    return env


def start(stack: contextlib.ExitStack, *, say=print) -> tuple[ls.Server, dict]:
    """Start PostgreSQL and the app with the demo magazine; both stop when `stack` closes."""
    var_dir = Path(tempfile.mkdtemp(prefix="masthead-audit-"))
    stack.callback(shutil.rmtree, var_dir, ignore_errors=True)
    postgres = ls.start_postgres()
    stack.callback(postgres.stop)
    say(f"  postgres started (pid {postgres.proc.pid}, port {postgres.port})")
    env = production_env(VAR_DIR=str(var_dir), DATABASE_URL=postgres.url,
                         TASK_BACKEND="database", NEWSLETTER_RATE_PER_IP="1000000/h",
                         LOGIN_FAILURE_LIMIT="1000000")
    say("  migrating and loading the demo magazine…")
    for command in (["migrate", "--noinput", "-v0"], ["demo"], ["search-rebuild", "-v0"]):
        subprocess.run([sys.executable, "-m", "masthead.cli", *command], env=env, cwd=ROOT,
                       check=True, stdout=subprocess.DEVNULL)
    app = ls.start_app(env, workers=2)
    stack.callback(app.stop)
    say(f"  app started (pid {app.proc.pid}, {app.url}, log {app.extra['log']})")
    return app, env
