"""Settings for the test suite: the production settings with fast, deterministic parts."""

import os
import tempfile

import jinja2

os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="masthead-test-"))
os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("TASK_BACKEND", "immediate")
os.environ.setdefault("EMAIL_URL", "dummymail://")
# The app page cache is tested on purpose (tests/edge); elsewhere a test reads what it wrote.
os.environ.setdefault("PAGE_CACHE_SECONDS", "0")
# Likewise the window in which a process trusts the content version it last read (tested in
# tests/edge/test_page_cache.py): 0 reads it on every request, so query counts are exact.
os.environ.setdefault("CONTENT_VERSION_SECONDS", "0")

from masthead.settings import *  # noqa: E402,F403
from masthead.settings import TEMPLATES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Template errors fail tests: Django templates in debug mode, Jinja2 with strict undefined.
TEMPLATES[0]["OPTIONS"]["undefined"] = jinja2.StrictUndefined
TEMPLATES[1]["OPTIONS"]["debug"] = True
ALLOWED_HOSTS = ["*"]
