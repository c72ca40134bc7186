"""Email addresses and display names as the newsletter stores and sends them."""

from __future__ import annotations

import re
import unicodedata
from email.utils import formataddr

NAME_MAX_LENGTH = 100
_SPACES = re.compile(r"\s+")


def normalise_email(email: str) -> str:
    """Stored form of an address: surrounding whitespace removed, lower case."""
    return email.strip().lower()


def has_control_characters(value: str) -> bool:
    """True for CR, LF, NUL, tabs and every other control or format character."""
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value)


def clean_name(name: str) -> str:
    """A display name safe anywhere, including a To: header: one line, no control characters."""
    printable = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in name
    )
    return _SPACES.sub(" ", printable).strip()[:NAME_MAX_LENGTH]


def display_address(email: str, name: str = "") -> str:
    """`"Name" <email>` for a To: header, with the name cleaned again however it was stored."""
    name = clean_name(name)
    return formataddr((name, email)) if name else email
