import shutil
import tempfile

import pytest
from django.conf import settings

from masthead.core import versioning


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Each test gets its own media folder and empty process caches."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    _forget_process_caches()
    yield
    _forget_process_caches()


def _forget_process_caches():
    """A rolled-back test leaves its content version and pages behind in process memory."""
    from masthead.edge.middleware import local_pages

    versioning.cache.clear()
    versioning.forget()
    local_pages.clear()


@pytest.fixture
def client(client):
    client.defaults["HTTP_HOST"] = "127.0.0.1"
    return client


def pytest_sessionfinish(session, exitstatus):
    var_dir = str(settings.VAR_DIR)
    if var_dir.startswith(tempfile.gettempdir()):
        shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """One STATIC_ROOT for the app servers tests start with the test settings (uncompressed
    static files): `masthead serve` collects static files on the first start and skips it on
    every later one, as a restarted server does. Servers are started one after another."""
    return tmp_path_factory.mktemp("static")


@pytest.fixture(scope="session")
def scratch_template(django_db_setup, django_db_blocker, tmp_path_factory):
    """The migrated, empty test database, copyable for subprocesses (see tests/scratchdb.py)."""
    from tests import scratchdb

    return scratchdb.template(django_db_blocker, tmp_path_factory.mktemp("scratch"))
