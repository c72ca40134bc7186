"""Rows that a group of tests only reads, made once for the group: Django's
`TestCase.setUpTestData`, for pytest.

A class-scoped fixture makes the rows inside a transaction that stays open while the class's
tests run. Each test runs in a savepoint of it (pytest-django's `django_db`), so whatever a test
writes is rolled back after it and the next test sees the rows as they were made; the transaction
itself is rolled back after the class's last test. Use it

* for building that costs (articles publish through Wagtail and render their images), where the
  number and kind of rows is not what the tests are about;
* in a class of its own, so that no test outside the class runs while the rows exist;
* never with `django_db(transaction=True)` tests, whose flush would empty the shared rows.

    class TestPaging:
        @pytest.fixture(scope="class")
        @classmethod
        def shared(cls, django_db_setup, django_db_blocker, tmp_path_factory):
            with shared_rows(django_db_blocker, tmp_path_factory) as shared:
                yield shared.keep([f.article() for _ in range(25)])

        @pytest.fixture
        def stories(self, shared, settings):
            settings.MEDIA_ROOT = shared.media_root  # where their images are
            return shared.kept()

A test gets its own deep copy of what was kept (`shared.kept()`), as `setUpTestData` gives each
test its own copy of the class's attributes, so changing an instance in memory does not leak.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import transaction
from django.test import TestCase, override_settings

T = TypeVar("T")


@dataclass
class Shared:
    media_root: str
    _kept: Any = field(default=None)

    def keep(self, value: Any) -> Shared:
        self._kept = value
        return self

    def kept(self) -> Any:
        return copy.deepcopy(self._kept)


@contextmanager
def shared_rows(django_db_blocker, tmp_path_factory) -> Iterator[Shared]:
    """Open the shared transaction (rolled back on exit), with its own media folder."""
    media_root = str(tmp_path_factory.mktemp("shared-media"))
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root):
        with transaction.atomic():
            yield Shared(media_root)
            transaction.set_rollback(True)


def made_live(factory: Callable[..., T], *args, **kwargs) -> T:
    """`factory(...)`, with the on-commit callbacks it registers run at once, as after a real
    commit: the `live` fixture of tests/discovery, for class-scoped fixtures."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return factory(*args, **kwargs)
