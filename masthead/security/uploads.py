"""Uploaded images lose their metadata before they are stored.

A phone photo's EXIF says where it was taken (GPS), when, and with which device; XMP and IPTC
blocks and PNG text chunks can carry names and captions. Wagtail keeps all of it in the
original and copies EXIF into JPEG and PNG renditions, so a source's location could reach
readers. `ImageForm` (WAGTAILIMAGES_IMAGE_FORM_BASE) strips it once, at upload, after Wagtail
has checked the file's format, size and pixel count:

* JPEG: the metadata segments (APP1 EXIF/XMP, APP13 IPTC, comments) are dropped without
  re-encoding the picture; only the orientation survives, in a minimal EXIF block, so the
  photo still shows upright. Colour profiles (APP2) and Adobe markers stay.
* PNG: text, EXIF and time chunks are dropped. WebP: its EXIF and XMP chunks.
* Anything unreadable in those is re-encoded by Pillow without metadata.

Images created by code (the demo, imports) do not pass through the form; they are made here.
Files stored before this existed are cleaned by `masthead strip_image_metadata`
(`masthead.security.stored_images`).
"""

from __future__ import annotations

import io
import struct

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageOps
from wagtail.images.forms import BaseImageForm

ORIENTATION = 0x0112
_JPEG_DROPPED = {0xE1, 0xED, 0xFE}  # APP1 (EXIF, XMP), APP13 (IPTC/Photoshop), COM
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0-7: no length
_PNG_DROPPED = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}
_WEBP_DROPPED = {b"EXIF", b"XMP "}


class ImageForm(BaseImageForm):
    """Wagtail's image form; the uploaded file is stored without its metadata."""

    def clean_file(self):
        uploaded = self.cleaned_data.get("file")
        if not uploaded or "file" not in self.changed_data:
            return uploaded
        uploaded.seek(0)
        try:
            data = without_metadata(uploaded.read())
        except OSError as exc:
            raise ValidationError("This image could not be read. Save it again and re-upload it.") from exc
        cleaned = SimpleUploadedFile(uploaded.name, data, getattr(uploaded, "content_type", None))
        if hasattr(uploaded, "image"):  # what Wagtail's field found out about the file
            cleaned.image = uploaded.image
        return cleaned


def image_kind(data: bytes) -> str | None:
    """"jpeg", "png" or "webp": the formats whose metadata is cut here; None for the others."""
    if data[:2] == b"\xff\xd8":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def without_metadata(data: bytes, *, reencode: bool = True) -> bytes:
    """`data` (an image file) without EXIF, XMP, IPTC or text metadata; see the module doc.
    OSError if it is not an image Pillow can read either. With `reencode=False`, a file whose
    structure cannot be walked raises ValueError instead of being re-encoded (which would
    change its pixels)."""
    strip = {"jpeg": _jpeg, "png": _png, "webp": _webp}.get(image_kind(data))
    if strip is None:
        return data  # GIF, AVIF: kept as uploaded (docs/security.md)
    try:
        return strip(data)
    except (ValueError, struct.error, IndexError) as exc:
        if not reencode:
            raise ValueError(f"cannot walk this {image_kind(data)} file") from exc
        return _reencoded(data)


def _jpeg(data: bytes) -> bytes:
    out = [b"\xff\xd8"]
    orientation = _orientation(data)
    pos = 2
    while True:
        if data[pos] != 0xFF:
            raise ValueError("not a marker")
        while data[pos] == 0xFF:  # fill bytes
            pos += 1
        marker = data[pos]
        pos += 1
        if marker in _JPEG_STANDALONE:
            out.append(bytes((0xFF, marker)))
            continue
        (length,) = struct.unpack(">H", data[pos:pos + 2])
        segment = data[pos - 2:pos + length]
        if marker == 0xDA:  # start of scan: the picture itself, copied as it is
            out.append(data[pos - 2:])
            break
        if marker not in _JPEG_DROPPED:
            out.append(segment)
        pos += length
    if orientation not in (None, 1):
        exif = Image.Exif()
        exif[ORIENTATION] = orientation
        payload = exif.tobytes()
        out.insert(1, b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload)
    return b"".join(out)


def _orientation(data: bytes) -> int | None:
    with Image.open(io.BytesIO(data)) as img:
        return img.getexif().get(ORIENTATION)


def _png(data: bytes) -> bytes:
    out, pos = [data[:8]], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise ValueError("truncated chunk")
        if kind not in _PNG_DROPPED:
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            break
    return b"".join(out)


def _webp(data: bytes) -> bytes:
    chunks, pos = [], 12
    while pos + 8 <= len(data):
        kind = data[pos:pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4:pos + 8])
        end = pos + 8 + length + (length & 1)
        if end > len(data) + 1:
            raise ValueError("truncated chunk")
        chunk = data[pos:end]
        if kind == b"VP8X":
            flags = chunk[8] & ~0x0C  # no EXIF (0x08), no XMP (0x04) any more
            chunk = chunk[:8] + bytes((flags,)) + chunk[9:]
        if kind not in _WEBP_DROPPED:
            chunks.append(chunk)
        pos = end
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _reencoded(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as img:
        fmt = img.format
        icc = img.info.get("icc_profile")
        upright = ImageOps.exif_transpose(img)
        upright.info.pop("exif", None)
        buf = io.BytesIO()
        options = {"quality": 92} if fmt in ("JPEG", "WEBP") else {}
        if icc:
            options["icc_profile"] = icc
        upright.save(buf, fmt, **options)
    return buf.getvalue()
