"""`masthead strip_image_metadata`: originals and renditions stored before uploads were cleaned
lose their EXIF/GPS, XMP, comments and PNG text, keeping their names and pixels; a dry run
writes nothing; a second run finds nothing; a crash never leaves a half-written file."""

from __future__ import annotations

import io
import os
import stat
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.management import call_command
from PIL import Image, PngImagePlugin
from wagtail.utils.file import hash_filelike

from masthead.core.models import MastheadImage
from masthead.security import stored_images

from .images import GPS_LATITUDE, exif_of, jpeg_with_gps

pytestmark = pytest.mark.django_db

ORIENTATION = 0x0112


def stored(name: str, data: bytes) -> MastheadImage:
    """An image saved by code, as before uploads were cleaned: metadata and all."""
    with Image.open(io.BytesIO(data)) as img:
        width, height = img.size
    image = MastheadImage(title=name, credit="Staff")
    image.file.save(name, ContentFile(data), save=False)
    image.width, image.height = width, height
    image.save()
    return image


def path_of(field_file) -> Path:
    return Path(field_file.path)


def pixels(path: Path) -> tuple:
    with Image.open(path) as img:
        return img.mode, img.size, img.tobytes()


def run(*args) -> str:
    out = StringIO()
    call_command("strip_image_metadata", *args, stdout=out)
    return out.getvalue()


def part_files() -> list[Path]:
    return list(Path(django_settings.MEDIA_ROOT).rglob("*.part"))


def jpeg_with_everything() -> bytes:
    """GPS and camera in EXIF, an XMP packet and a comment."""
    with Image.open(io.BytesIO(jpeg_with_gps((600, 400)))) as img:
        buf = io.BytesIO()
        img.save(buf, "JPEG", exif=img.getexif(), comment=b"Taken at the source's flat",
                 xmp=b"<x:xmpmeta><dc:creator>Reporter</dc:creator></x:xmpmeta>")
    return buf.getvalue()


@pytest.fixture(autouse=True)
def no_cached_renditions():
    cache.clear()  # Wagtail finds renditions there by image id and file hash, rows or not


@pytest.fixture
def photo():
    image = stored("scene.jpg", jpeg_with_everything())
    path_of(image.file).chmod(0o644)
    return image


def test_a_stored_photo_and_its_renditions_lose_their_metadata(photo, capsys):
    rendition = photo.get_rendition("width-300|format-jpeg")
    original, copy = path_of(photo.file), path_of(rendition.file)
    assert exif_of(original.read_bytes())["gps"][2] == GPS_LATITUDE
    assert b"Reporter" in original.read_bytes() and b"source's flat" in original.read_bytes()
    assert exif_of(copy.read_bytes())["gps"][2] == GPS_LATITUDE  # Wagtail copied it
    before = {p: pixels(p) for p in (original, copy)}

    output = run()
    assert "Cleaned 2 of 2 files" in output
    assert "100%" in capsys.readouterr().err  # the progress bar
    for path in (original, copy):
        data = path.read_bytes()
        assert exif_of(data) == {}, path
        assert b"Reporter" not in data and b"source's flat" not in data
        assert pixels(path) == before[path]  # the picture itself is untouched
    assert stat.S_IMODE(original.stat().st_mode) == 0o644  # still readable by the web server
    photo.refresh_from_db()
    rendition.refresh_from_db()
    assert (path_of(photo.file), path_of(rendition.file)) == (original, copy)  # same names
    assert photo.file_size == original.stat().st_size
    with original.open("rb") as f:
        assert photo.file_hash == hash_filelike(f)
    assert part_files() == []


def test_a_dry_run_counts_and_writes_nothing(photo):
    photo.get_rendition("width-300|format-jpeg")
    files = {p: p.read_bytes() for p in Path(django_settings.MEDIA_ROOT).rglob("*") if p.is_file()}
    output = run("--dry-run")
    assert "Would clean 2 of 2 files" in output and "Nothing was written" in output
    assert {p: p.read_bytes() for p in files} == files


def test_a_second_run_finds_nothing_to_do(photo):
    run()
    mtime = path_of(photo.file).stat().st_mtime_ns
    assert "Cleaned 0 of 1 files; 1 had no metadata" in run()
    assert path_of(photo.file).stat().st_mtime_ns == mtime


def test_the_orientation_survives_so_photos_stay_upright():
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif.get_ifd(0x8825)[2] = GPS_LATITUDE
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), "blue").save(buf, "JPEG", exif=exif)
    image = stored("side.jpg", buf.getvalue())
    run()
    assert exif_of(path_of(image.file).read_bytes()) == {ORIENTATION: 6}


def test_png_text_and_webp_exif_go_gif_is_left_and_missing_files_are_counted():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Location: the source's flat")
    buf = io.BytesIO()
    Image.new("RGB", (40, 40), "red").save(buf, "PNG", pnginfo=info)
    png = stored("chart.png", buf.getvalue())
    exif = Image.Exif()
    exif[0x010F] = "Reporter's Phone"
    buf = io.BytesIO()
    Image.new("RGB", (40, 40), "red").save(buf, "WEBP", exif=exif, lossless=True)
    webp = stored("photo.webp", buf.getvalue())
    buf = io.BytesIO()
    Image.new("P", (40, 40)).save(buf, "GIF", comment=b"kept")
    gif = stored("anim.gif", buf.getvalue())
    gone = stored("gone.jpg", jpeg_with_gps((40, 40)))
    path_of(gone.file).unlink()

    output = run()
    assert "Cleaned 2 of 4 files" in output
    assert "1 GIF/AVIF left as they are, 1 missing from disk" in output
    assert b"source's flat" not in path_of(png.file).read_bytes()
    assert exif_of(path_of(webp.file).read_bytes()) == {}
    assert b"kept" in path_of(gif.file).read_bytes()


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_crash_while_writing_leaves_the_old_file_whole(photo, monkeypatch, failing):
    original = path_of(photo.file)
    before = original.read_bytes()

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(stored_images.os, failing, crash)
    with pytest.raises(OSError):
        run()
    monkeypatch.undo()
    assert original.read_bytes() == before  # the old file, whole
    assert part_files() == []  # and no partial copy left beside it
    assert os.listdir(original.parent) == [original.name]
