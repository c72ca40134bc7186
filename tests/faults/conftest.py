import pytest


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    """One STATIC_ROOT for every app server these tests start: `masthead serve` collects static
    files on the first start and skips it on every later one, as a restarted server does."""
    return tmp_path_factory.mktemp("faults-static")
