"""Uploading an image onto a full disk: a clear answer, no image pointing at a broken file.

MEDIA_ROOT is a 256 KiB tmpfs mounted for the test (root only; skipped loudly otherwise), and
the upload is a 400 KB image of noise (PNG cannot compress it), so the write fails part-way.
"""

from __future__ import annotations

import io
import os
import random
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from PIL import Image as PILImage

from masthead.core.models import MastheadImage

pytestmark = pytest.mark.django_db

TMPFS_SIZE = "256k"


@pytest.fixture
def full_disk(tmp_path, settings):
    """A tiny tmpfs as MEDIA_ROOT, unmounted afterwards."""
    media = tmp_path / "media-tmpfs"
    media.mkdir()
    if os.geteuid() != 0:
        pytest.skip("*** SKIPPED: mounting a tmpfs needs root ***")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs",
                              str(media)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"*** SKIPPED: cannot mount a tmpfs: {mounted.stderr.strip()} ***")
    settings.MEDIA_ROOT = str(media)
    try:
        yield media
    finally:
        subprocess.run(["umount", str(media)], check=True)
    assert not os.path.ismount(media)


def _noise_png(size=(330, 330)) -> bytes:
    rng = random.Random(6)
    image = PILImage.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def admin_client():
    user = User.objects.create_superuser("pictures", "pictures@example.org", "pw")
    # The error page as the browser gets it, not the exception.
    client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def _free(path: Path) -> int:
    stat = os.statvfs(path)
    return stat.f_bavail * stat.f_frsize


def _assert_no_broken_images(media: Path) -> None:
    for image in MastheadImage.objects.all():
        path = media / image.file.name
        assert path.exists(), f"image {image.pk} points at a missing file"
        assert path.stat().st_size == image.file_size, f"image {image.pk}'s file is cut short"


def _assert_clear_failure(response) -> None:
    body = response.content.decode()
    assert response.status_code == 503, (response.status_code, body[:2000])
    assert "We could not store that file" in body and "run out of space" in body
    assert "Traceback" not in body and "No space left" not in body


@pytest.mark.parametrize("view", ["add", "multiple"])
def test_an_upload_larger_than_the_free_space_is_refused_clearly(full_disk, admin_client, view):
    data = _noise_png()
    assert len(data) > _free(full_disk)
    upload = SimpleUploadedFile("noise.png", data, content_type="image/png")
    # In production the request runs in autocommit, so the failed INSERT is its own rolled-back
    # transaction; inside the test's transaction a savepoint plays that part.
    with transaction.atomic():
        if view == "add":
            response = admin_client.post("/admin/images/add/", {"title": "Noise", "file": upload})
        else:
            response = admin_client.post("/admin/images/multiple/add/", {"files[]": upload})
    _assert_clear_failure(response)
    assert not MastheadImage.objects.exists()
    _assert_no_broken_images(full_disk)
    # The half-written file does not keep the disk full for the next upload.
    leftovers = [p for p in full_disk.rglob("*") if p.is_file()]
    assert not leftovers, leftovers


def test_an_upload_that_fits_still_works(full_disk, admin_client):
    small = io.BytesIO()
    PILImage.new("RGB", (40, 30), (200, 10, 10)).save(small, "PNG")
    upload = SimpleUploadedFile("small.png", small.getvalue(), content_type="image/png")
    response = admin_client.post("/admin/images/add/", {"title": "Small", "file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    _assert_no_broken_images(full_disk)
    assert MastheadImage.objects.count() == 1
