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
import string
import sys
import tempfile
from collections.abc import Iterator
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
    var_dir = stack.enter_context(
        tempfile.TemporaryDirectory(prefix="masthead-audit-", ignore_cleanup_errors=True))
    postgres = ls.started(stack, ls.start_postgres(), say=say)
    env = production_env(VAR_DIR=var_dir, DATABASE_URL=postgres.url,
                         TASK_BACKEND="database", NEWSLETTER_RATE_PER_IP="1000000/h",
                         LOGIN_FAILURE_LIMIT="1000000")
    say("  migrating and loading the demo magazine…")
    ls.load_demo(env, quiet=True)
    app = ls.started(stack, ls.start_app(env, workers=2), say=say)
    return app, env


@contextlib.contextmanager
def app_url(url: str | None = None, *, say=print) -> Iterator[str]:
    """`url` (an app already running), or else the URL of an app start() starts for the block
    and stops, with PostgreSQL, by process id when the block ends (or on Ctrl-C or SIGTERM)."""
    if url:
        yield url
        return
    with ls.server_stack(say=say, stopping="Stopping the app and PostgreSQL…") as stack:
        say("Starting a production-like app with the demo magazine…")
        app, _ = start(stack, say=say)
        yield app.url
