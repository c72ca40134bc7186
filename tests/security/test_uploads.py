"""Uploads: decompression bombs, SVG and oversized files are refused with a form error and
leave nothing behind; photos lose their EXIF/GPS before they are stored (so renditions carry
none); uploads are never listed and never run as pages; documents always download."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from wagtail.documents.models import Document

from masthead.core.models import MastheadImage

from .images import GPS_LATITUDE, SVG, exif_of, jpeg_with_gps, png_bomb

pytestmark = pytest.mark.django_db

ORIENTATION = 0x0112


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def upload(client, name: str, data: bytes, content_type: str):
    return client.post("/admin/images/add/", {
        "title": name, "credit": "Photo: Staff",
        "file": SimpleUploadedFile(name, data, content_type),
    })


def stored_files() -> list[Path]:
    return [p for p in Path(django_settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def assert_refused(response, message: str) -> None:
    assert response.status_code == 200  # the form again
    assert message in response.content.decode()
    assert MastheadImage.objects.count() == 0
    assert stored_files() == []


def test_a_decompression_bomb_is_refused(admin_client):
    bomb = png_bomb(20000, 20000)  # 400 million pixels in ~50 kB
    assert len(bomb) < 100_000
    assert_refused(upload(admin_client, "bomb.png", bomb, "image/png"),
                   "This file has too many pixels")


def test_a_bomb_is_refused_by_the_multiple_uploader_too(admin_client):
    response = admin_client.post("/admin/images/multiple/add/", {
        "files[]": SimpleUploadedFile("bomb.png", png_bomb(), "image/png")})
    assert response.json()["success"] is False
    assert "too many pixels" in response.json()["error_message"]
    assert MastheadImage.objects.count() == 0 and stored_files() == []


def test_an_image_just_over_the_pixel_limit_is_refused(admin_client):
    assert_refused(upload(admin_client, "big.png", png_bomb(9000, 9000), "image/png"),
                   "This file has too many pixels (81000000). Maximum pixels 64000000.")


@pytest.mark.parametrize(("name", "content_type", "message"), [
    ("drawing.svg", "image/svg+xml", "Not a supported image format"),
    ("drawing.png", "image/png", "Not a valid .png image"),  # SVG in disguise
])
def test_svg_is_refused(admin_client, name, content_type, message):
    assert_refused(upload(admin_client, name, SVG, content_type), message)


def test_a_file_over_the_size_limit_is_refused(admin_client, settings):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10_000
    photo = jpeg_with_gps()
    assert len(photo) > 10_000
    assert_refused(upload(admin_client, "photo.jpg", photo, "image/jpeg"), "This file is too big")


def read(field_file) -> bytes:
    with field_file.open("rb") as f:
        return f.read()


def test_uploaded_photos_lose_their_gps_and_renditions_have_none(admin_client):
    photo = jpeg_with_gps()
    assert exif_of(photo)["gps"][2] == GPS_LATITUDE  # the fixture says where it was taken
    assert upload(admin_client, "scene.jpg", photo, "image/jpeg").status_code == 302
    image = MastheadImage.objects.get()
    assert exif_of(read(image.file)) == {}  # the stored original: no GPS, no camera
    assert (image.width, image.height) == (1200, 800)
    for spec in ("width-800|format-jpeg", "width-400", "fill-160x160|format-webp", "original"):
        assert exif_of(read(image.get_rendition(spec).file)) == {}, spec


def test_a_rotated_photo_stays_upright(admin_client):
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # taken with the phone on its side
    exif.get_ifd(0x8825)[2] = GPS_LATITUDE
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), "blue").save(buf, "JPEG", exif=exif)
    assert upload(admin_client, "side.jpg", buf.getvalue(), "image/jpeg").status_code == 302
    image = MastheadImage.objects.get()
    assert exif_of(read(image.file)) == {ORIENTATION: 6}
    rendition = image.get_rendition("width-100|format-jpeg")
    assert (rendition.width, rendition.height) == (100, 150)  # turned upright


def stored_image() -> MastheadImage:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), "green").save(buf, "PNG")
    image = MastheadImage(title="Kept", credit="Staff")
    image.file.save("kept-original.png", ContentFile(buf.getvalue()), save=False)
    image.width = image.height = 64
    image.save()
    return image


def test_uploads_are_never_listed(client):
    image = stored_image()
    name = Path(image.file.name).name
    for path in ("/media/", "/media/original_images/", "/media/original_images"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert name not in response.content.decode(errors="replace")


def test_uploads_cannot_run_as_pages(client):
    image = stored_image()
    response = client.get(image.file.url)
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "default-src 'none'; img-src 'self'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def documents():
    made = {}
    for name, body in (("notes.txt", b"<script>alert(1)</script> plain notes"),
                       ("report.pdf", b"%PDF-1.4\n% a tiny pdf\n")):
        doc = Document(title=name)
        doc.file.save(name, ContentFile(body), save=False)
        doc.save()
        made[name] = doc
    return made


@pytest.mark.parametrize("name", ["notes.txt", "report.pdf"])
def test_documents_always_download_and_run_nothing(client, documents, name):
    response = client.get(documents[name].url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert name in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_document_files_are_not_served_from_media(client, documents):
    """Only through /documents/, which enforces private collections."""
    path = documents["notes.txt"].file.url
    assert path.startswith("/media/documents/")
    response = client.get(path)
    assert response.status_code == 404
    assert b"plain notes" not in response.content
