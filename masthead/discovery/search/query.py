"""Readers' queries, parsed into a safe structure before any database sees them.

Syntax: words must all appear (stemmed: "sanction" finds "sanctions"); "a quoted phrase" must
appear as written; a leading minus excludes a word or a phrase (-war, -"trade war").

A query becomes words made only of letters, digits and symbols (runs of characters that are not
spaces, punctuation or control characters, as the FTS5 tokenizer splits text), grouped into
phrases. Backends quote every phrase themselves (FTS5) or pass it as a bound parameter
(PostgreSQL), so no character typed by a reader can reach a query language as syntax.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_LENGTH = 200  # characters; longer queries are not run
MAX_WORDS = 12  # words looked for; more are ignored (and the page says so)

# A chunk: an optionally negated quoted phrase (a lone quote runs to the end), or a bare word.
_CHUNK = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


class Problem:
    EMPTY = "empty"  # nothing typed
    TOO_LONG = "too_long"  # over MAX_LENGTH characters: not run
    NO_WORDS = "no_words"  # only punctuation, or only excluded words


@dataclass(frozen=True)
class ParsedQuery:
    """What to look for. Each phrase is a tuple of words; a single word is a 1-word phrase."""

    raw: str
    include: tuple[tuple[str, ...], ...] = ()
    exclude: tuple[tuple[str, ...], ...] = ()
    problem: str | None = None
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def words(self) -> list[str]:
        return [w for phrase in self.include for w in phrase]


def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] not in "ZPC"


def split_words(text: str) -> list[str]:
    """Runs of word characters, case-folded: what a tokenizer would make of `text`."""
    words, current = [], []
    for ch in text:
        if _is_word_char(ch):
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return [w.casefold() for w in words]


def clean(raw: str) -> str:
    """Normal form KC, control and formatting characters (NUL included) turned into spaces."""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)


def parse(raw: str | None) -> ParsedQuery:
    """Parse a reader's query; never raises, whatever the input."""
    raw = raw or ""
    if len(raw) > MAX_LENGTH:
        return ParsedQuery(raw=raw, problem=Problem.TOO_LONG)
    text = clean(raw).strip()
    if not text:
        return ParsedQuery(raw=raw, problem=Problem.EMPTY)
    include: list[tuple[str, ...]] = []
    exclude: list[tuple[str, ...]] = []
    for match in _CHUNK.finditer(text):
        negated = bool(match.group(1) or match.group(3))
        words = tuple(split_words(match.group(2) if match.group(2) is not None else match.group(4)))
        target = exclude if negated else include
        if words and words not in target:
            target.append(words)
    include, truncated = _capped(include)
    exclude, _ = _capped(exclude)
    if not include:
        return ParsedQuery(raw=raw, exclude=tuple(exclude), problem=Problem.NO_WORDS)
    return ParsedQuery(raw=raw, include=tuple(include), exclude=tuple(exclude), truncated=truncated)


def _capped(phrases: list[tuple[str, ...]]) -> tuple[list[tuple[str, ...]], bool]:
    """At most MAX_WORDS words in all, cutting the phrase that overflows."""
    kept, count = [], 0
    for phrase in phrases:
        room = MAX_WORDS - count
        if room <= 0:
            return kept, True
        kept.append(phrase[:room])
        count += min(len(phrase), room)
        if len(phrase) > room:
            return kept, True
    return kept, False
