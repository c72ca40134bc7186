"""Media storage that never leaves a half-written file under a real name.

Django's FileSystemStorage writes an upload straight to its final name and, when the write fails
part-way (the disk is full), leaves the partial file there: it fills the disk to the last byte,
so the next write of anything on that disk fails too (the SQLite database lives beside media on
one machine). Here each file is written to a hidden `.<random>.part` file in its own directory
first, then renamed into place: the final name appears whole or not at all, and a failed write
removes its part file. (A process killed mid-write leaves only a part file, which no image row
names.)
"""

from __future__ import annotations

import contextlib
import os
import tempfile

from django.core.files.storage import FileSystemStorage


class _Staged:
    """A file already on the target disk: FileSystemStorage moves it into place (a rename)."""

    def __init__(self, path: str):
        self.path = path

    def temporary_file_path(self) -> str:
        return self.path


class MediaStorage(FileSystemStorage):
    def _save(self, name, content):
        directory = os.path.dirname(self.path(name))
        if self.directory_permissions_mode is None:
            os.makedirs(directory, exist_ok=True)
        else:
            os.makedirs(directory, self.directory_permissions_mode, exist_ok=True)
        fd, staged = tempfile.mkstemp(dir=directory, prefix=".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in content.chunks():
                    out.write(chunk.encode() if isinstance(chunk, str) else chunk)
            return super()._save(name, _Staged(staged))
        finally:
            # Renamed into place on success; otherwise a partial copy that must not fill the disk.
            with contextlib.suppress(FileNotFoundError):
                os.remove(staged)
