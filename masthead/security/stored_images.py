"""Metadata cut from images stored before uploads were cleaned (`masthead strip_image_metadata`).

Originals uploaded before `masthead.security.uploads` existed, and the renditions Wagtail made
from them, may still carry EXIF (GPS, camera, times), XMP, IPTC or comments. This walks every
original and rendition the database names and rewrites the JPEG, PNG and WebP files that still
have any, with the same cutting as uploads (the picture's bytes are copied, not re-encoded):

* a file is rewritten only if it changes, and only if it decodes to the same pixels afterwards;
* the new bytes go to a hidden temporary file in the same folder, which then replaces the old
  one in a single rename: a crash leaves the old file or the new one, never half of either;
* the name, and so every URL and rendition, stays the same; an original's `file_size` and
  `file_hash` (Wagtail's duplicate check) are brought up to date.

GIF and AVIF files are left as they are (as at upload). Files need a local disk (MEDIA_ROOT).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image
from wagtail.images import get_image_model

from masthead.security.uploads import image_kind, without_metadata


class NotLocalStorage(Exception):
    """The media storage has no local paths to rewrite files in."""


@dataclass
class StripReport:
    examined: int = 0
    cleaned: int = 0  # or, in a dry run, would be
    clean: int = 0  # had nothing to cut
    other_format: int = 0  # GIF, AVIF: left as they are
    missing: int = 0  # named in the database, not on disk
    unreadable: int = 0  # not walkable, or the pixels would have changed
    cleaned_names: list[str] = field(default_factory=list)


def stored_count() -> int:
    """How many files `images_strip` examines: every original and every rendition."""
    image_model = get_image_model()
    return image_model.objects.count() + image_model.get_rendition_model().objects.count()


def images_strip(*, dry_run: bool = False,
                 progress: Callable[[int], None] | None = None) -> StripReport:
    """Cut the metadata from every stored original and rendition that still has some; with
    `dry_run`, only count them. `progress(1)` is called after each file."""
    report = StripReport()
    image_model = get_image_model()
    for model, is_original in ((image_model, True), (image_model.get_rendition_model(), False)):
        storage = model._meta.get_field("file").storage
        for pk, name in list(model.objects.order_by("pk").values_list("pk", "file")):
            outcome, written = _strip_file(storage, name, dry_run=dry_run)
            setattr(report, outcome, getattr(report, outcome) + 1)
            report.examined += 1
            if outcome == "cleaned":
                report.cleaned_names.append(name)
            if written is not None and is_original:
                image_model.objects.filter(pk=pk).update(
                    file_size=len(written),
                    file_hash=hashlib.sha1(written, usedforsecurity=False).hexdigest())
            if progress:
                progress(1)
    return report


def _strip_file(storage, name: str, *, dry_run: bool) -> tuple[str, bytes | None]:
    """The StripReport field this file counts under, and the bytes written (if any)."""
    try:
        path = storage.path(name)
    except NotImplementedError as exc:
        raise NotLocalStorage("Media files are not on a local disk.") from exc
    try:
        with open(path, "rb") as f:
            data = f.read()
    except (FileNotFoundError, IsADirectoryError):
        return "missing", None
    if image_kind(data) is None:
        return "other_format", None
    try:
        stripped = without_metadata(data, reencode=False)
        if stripped == data:
            return "clean", None
        if not _same_pixels(data, stripped):
            return "unreadable", None
    except (ValueError, OSError):
        return "unreadable", None
    if dry_run:
        return "cleaned", None
    replace_file(path, stripped)
    return "cleaned", stripped


def _same_pixels(before: bytes, after: bytes) -> bool:
    with Image.open(io.BytesIO(before)) as a, Image.open(io.BytesIO(after)) as b:
        return (a.mode, a.size) == (b.mode, b.size) and a.tobytes() == b.tobytes()


def replace_file(path: str, data: bytes) -> None:
    """Put `data` at `path` in one rename, keeping the old file's permissions."""
    directory = os.path.dirname(path)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    fd, staged = tempfile.mkstemp(dir=directory, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(staged, mode)
        os.replace(staged, path)
    finally:
        with contextlib.suppress(FileNotFoundError):  # renamed into place on success
            os.remove(staged)

