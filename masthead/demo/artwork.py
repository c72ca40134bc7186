"""Generate the demo magazine's illustrations locally with Pillow: nothing is downloaded.

Each image is an abstract landscape (sky gradient, sun or moon, layered ridges or waves, a few
lines) whose palette and shapes follow the words of a short prompt, seeded so it is repeatable.
"""

from __future__ import annotations

import hashlib
import io
import math
import random

from PIL import Image, ImageDraw, ImageFilter

PALETTES = {
    "dusk": [(38, 42, 74), (196, 98, 82), (242, 177, 121)],
    "night": [(10, 16, 38), (34, 58, 104), (212, 180, 96)],
    "amber": [(60, 32, 20), (190, 120, 40), (245, 205, 120)],
    "green": [(18, 52, 40), (64, 128, 86), (200, 222, 160)],
    "blue": [(16, 40, 72), (60, 118, 168), (196, 224, 236)],
    "grey": [(48, 54, 62), (128, 138, 148), (222, 226, 230)],
    "ochre": [(86, 54, 30), (196, 140, 72), (238, 214, 168)],
    "teal": [(10, 58, 64), (32, 128, 132), (206, 236, 226)],
    "red": [(60, 18, 24), (170, 52, 48), (240, 196, 170)],
}
KEYWORDS = {
    "dusk": "dusk", "sunset": "dusk", "evening": "dusk", "night": "night", "dark": "night",
    "amber": "amber", "gold": "amber", "desert": "amber", "sand": "amber", "solar": "amber",
    "green": "green", "forest": "green", "grass": "green", "river": "teal", "sea": "blue",
    "ocean": "blue", "blue": "blue", "ice": "grey", "snow": "grey", "grey": "grey",
    "steel": "grey", "ochre": "ochre", "salt": "ochre", "teal": "teal", "harbour": "teal",
    "red": "red", "fire": "red", "water": "teal", "map": "night", "network": "night",
}
WATERY = ("sea", "ocean", "river", "water", "harbour", "bay", "port", "ship", "waves", "coast")


def _palette(prompt: str, rng: random.Random) -> list[tuple[int, int, int]]:
    words = prompt.lower().replace(",", " ").split()
    for w in words:
        if w in KEYWORDS:
            return PALETTES[KEYWORDS[w]]
    return rng.choice(list(PALETTES.values()))


def _mix(a, b, t):
    return tuple(int(a[i] + (b[i] - a[i]) * t) for i in range(3))


def render(prompt: str, *, width: int = 1600, height: int = 900) -> bytes:
    """A JPEG illustrating `prompt`, the same bytes for the same prompt."""
    seed = int(hashlib.sha256(prompt.encode()).hexdigest()[:12], 16)
    rng = random.Random(seed)
    dark, mid, light = _palette(prompt, rng)
    img = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    for y in range(height):  # sky: dark at the top to light at the horizon
        draw.line([(0, y), (width, y)], fill=_mix(dark, light, (y / height) ** 1.4))
    sun_x, sun_y = rng.randint(width // 5, 4 * width // 5), rng.randint(height // 6, height // 2)
    r = rng.randint(height // 12, height // 6)
    draw.ellipse([sun_x - r, sun_y - r, sun_x + r, sun_y + r], fill=_mix(light, (255, 255, 255), 0.5))
    watery = any(w in prompt.lower() for w in WATERY)
    layers = 4
    for i in range(layers):
        base = int(height * (0.52 + 0.12 * i))
        colour = _mix(mid, dark, i / layers)
        amp = rng.randint(height // 40, height // 10) // (2 if watery else 1)
        freq = rng.uniform(1.5, 4.5) * (2 if watery else 1)
        phase = rng.uniform(0, math.tau)
        points = [(0, height)]
        for x in range(0, width + 20, 20):
            y = base + amp * math.sin(phase + freq * x / width * math.tau)
            y += amp * 0.35 * math.sin(phase * 2 + 3.1 * freq * x / width * math.tau)
            points.append((x, y))
        points.append((width, height))
        draw.polygon(points, fill=colour)
    for _ in range(rng.randint(3, 7)):  # a few thin lines: cables, routes, rigging
        x0, y0 = rng.randint(0, width), rng.randint(0, height // 2)
        x1, y1 = rng.randint(0, width), rng.randint(height // 2, height)
        draw.line([(x0, y0), (x1, y1)], fill=_mix(light, mid, 0.3), width=rng.randint(1, 3))
    img = img.filter(ImageFilter.GaussianBlur(0.6))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=84, optimize=True)
    return out.getvalue()


def portrait(seed_text: str, initials: str, *, size: int = 480) -> bytes:
    """An abstract portrait card: a head-and-shoulders silhouette and the author's initials."""
    rng = random.Random(int(hashlib.sha256(seed_text.encode()).hexdigest()[:12], 16))
    dark, mid, light = rng.choice(list(PALETTES.values()))
    img = Image.new("RGB", (size, size), light)
    draw = ImageDraw.Draw(img)
    draw.ellipse([size * 0.3, size * 0.16, size * 0.7, size * 0.56], fill=mid)
    draw.ellipse([size * 0.12, size * 0.6, size * 0.88, size * 1.3], fill=dark)
    draw.text((size * 0.06, size * 0.05), initials, fill=dark, font_size=size // 7)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=88)
    return out.getvalue()
