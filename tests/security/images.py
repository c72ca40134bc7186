"""Image files made for the upload tests, small on disk."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A one-colour, one-bit PNG of width×height pixels: ~50 kB that decodes to ~400 Mpx."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes((width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row * 500) for _ in range(height // 500))
    idat += packer.compress(row * (height % 500)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.domain)</script><rect width="10" height="10"/></svg>')

GPS_LATITUDE = (48, 51, 24)


def jpeg_with_gps(size=(1200, 800)) -> bytes:
    """A JPEG whose EXIF says where it was taken (a GPS IFD) and with what camera."""
    exif = Image.Exif()
    exif[0x010F] = "Reporter's Phone"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = GPS_LATITUDE
    gps[3] = "E"
    gps[4] = (2, 21, 7)
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def exif_of(data: bytes) -> dict:
    """The EXIF tags of an image file, with the GPS block (if any) under "gps"."""
    with Image.open(io.BytesIO(data)) as img:
        exif = img.getexif()
        found = {tag: value for tag, value in exif.items() if tag != 0x8825}
        if exif.get_ifd(0x8825) or 0x8825 in exif:
            found["gps"] = dict(exif.get_ifd(0x8825))
        return found
