"""Parse the demo content's small body syntax (see content/FORMAT.md) into StreamField data."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from django.utils.html import escape

INLINE_RULES = [
    (re.compile(r"\*\*(.+?)\*\*"), r"<b>\1</b>"),
    (re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])"), r"<i>\1</i>"),
    (re.compile(r"\[([^\]^][^\]]*)\]\((https?://[^)\s]+)\)"), r'<a href="\2">\1</a>'),
]
IMAGE = re.compile(r"^\[\[image:(.+)\]\]$")
FOOTNOTE_DEF = re.compile(r"^\[\^(\d+)\]:\s*(.+)$")


@dataclass
class Document:
    meta: dict
    blocks: list[dict]


def inline(text: str) -> str:
    html = escape(text)
    for pattern, repl in INLINE_RULES:
        html = pattern.sub(repl, html)
    return html


def split_front_matter(text: str) -> tuple[dict, str]:
    if not text.startswith("+++"):
        raise ValueError("missing +++ front matter")
    _, front, body = text.split("+++", 2)
    return tomllib.loads(front), body.strip()


def parse(text: str, *, image_for=None) -> Document:
    """Blocks as StreamField raw data. `image_for(alt, caption, credit, prompt)` returns an id."""
    meta, body = split_front_matter(text)
    blocks: list[dict] = []
    notes: list[str] = []
    for chunk in re.split(r"\n\s*\n", body):
        chunk = chunk.strip()
        if not chunk:
            continue
        lines = chunk.splitlines()
        if all(FOOTNOTE_DEF.match(line) for line in lines):
            notes += [FOOTNOTE_DEF.match(line)[2] for line in lines]
        elif chunk.startswith("## "):
            blocks.append({"type": "heading", "value": chunk[3:].strip()})
        elif chunk.startswith("!! "):
            blocks.append({"type": "pull_quote", "value": {"text": chunk[3:].strip()}})
        elif chunk.startswith(">"):
            quoted = [line.lstrip(">").strip() for line in lines]
            attribution = ""
            if quoted and quoted[-1].startswith("—"):
                attribution = quoted.pop().lstrip("— ").strip()
            blocks.append(
                {"type": "block_quote", "value": {"quote": "\n".join(quoted),
                                                  "attribution": attribution.replace("*", "")}}
            )
        elif IMAGE.match(chunk):
            alt, caption, credit, prompt = [p.strip() for p in IMAGE.match(chunk)[1].split("|")]
            image_id = image_for(alt, caption, credit, prompt) if image_for else None
            blocks.append(
                {"type": "image", "value": {"image": image_id, "alt": alt, "caption": caption,
                                            "credit": credit}}
            )
        else:
            blocks.append({"type": "paragraph", "value": f"<p>{inline(' '.join(lines))}</p>"})
    blocks += [{"type": "footnote", "value": {"note": f"<p>{inline(n)}</p>"}} for n in notes]
    return Document(meta=meta, blocks=blocks)


def paragraphs_html(text: str) -> str:
    """Plain paragraphs (briefs, bios) as rich-text HTML."""
    return "".join(f"<p>{inline(p.strip())}</p>" for p in re.split(r"\n\s*\n", text) if p.strip())
