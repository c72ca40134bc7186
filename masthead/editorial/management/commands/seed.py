"""`masthead seed`: bulk-generate synthetic articles and briefs for load tests.

    masthead seed --articles 100000 --briefs 5000 [--authors 50] [--seed 1]

Why not Wagtail's `add_child()` and `publish()`: speed. They cost a dozen or more queries, a
revision and the publish signals per page: an hour or more for 100,000 articles. This command
writes the rows itself with one executemany per table and batch (a few thousand articles per
transaction), which takes minutes, and keeps consistent what readers and the admin rely on:

* the page tree: children of the ArticleIndexPage get treebeard paths (Wagtail's step length and
  alphabet) continuing after the existing children, the right depth, url_path and locale, and the
  index's `numchild` is raised in the same transaction as each batch;
* ArticlePage rows (multi-table inheritance: the `wagtailcore_page` row plus the child row, which
  Django's bulk_create refuses to write), bylines, tags and other sections;
* the PublishedArticle record and its join tables, filled exactly as
  `services.article_record_fields` would (same body, card, byline and image markup);
* the content version, bumped at the end so every process drops what it cached.

Not written: revisions (the admin edits the live page), the search index and the reference
index; run `masthead update_index` / `rebuild_references_index` if a test needs them.

Text is generated from a small built-in word list, deterministically from `--seed` and the
position after the existing articles, so a second run adds new articles with new slugs
("seed-<step>-<words>") and paths, and never collides with the first.
"""

from __future__ import annotations

import hashlib
import io
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify
from PIL import Image, ImageDraw, ImageOps
from taggit.models import Tag
from tqdm import tqdm
from wagtail.models import Locale, Page

from masthead.briefs.models import Brief
from masthead.core import images
from masthead.core.models import MastheadImage
from masthead.edge.services import purge_everything
from masthead.editorial import rendering, services
from masthead.editorial.models import (
    ArticleAuthor,
    ArticleIndexPage,
    ArticlePage,
    ArticlePageTag,
    Author,
    Kind,
    PublishedArticle,
    PublishedArticleAuthor,
    PublishedArticleSection,
    PublishedArticleTag,
    Section,
)

YEARS = 6  # articles and briefs are spread over this many past years
PARAGRAPHS = 8
SENTENCE_POOL = 5000
TAG_COUNT = 300
IMAGE_COUNT = 20
IMAGE_SIZE = (1600, 900)
IMAGE_CREDIT = "Illustration: Masthead seed studio"
ALT_MARK = "@@seed-alt@@"  # placeholder in per-image markup, replaced by each article's alt

WORDS = """
accord agency agenda alliance ally ambition archive argument army assembly audit autumn balance
ballot bank barrier basin battle bargain border borrowing bridge budget bureau cabinet campaign
canal capital cargo ceasefire census charter city claim climate clinic coal coalition coast
commerce committee compromise congress consensus constitution contract corridor council country
court credit crisis crop currency customs debate debt decade decree deficit delta democracy
deputy desert diplomacy district doctrine drought economy election embassy empire energy envoy
estate exile export faction famine farm ferry festival finance fishery fleet flood forest
frontier fund garrison generation governor grain grid growth harbour harvest heritage highway
hospital household import income industry inflation inquiry island journal judge junta justice
labour land language lawyer ledger legacy levy library loan lobby majority mandate manifesto
market mayor memory merchant migration militia mine minister minority mission monsoon motion
museum nation navy network newspaper oil opposition order outpost parliament partner party
pension petition pipeline plateau police policy port poverty power premier press price prison
protest province purchase quarter railway rally reform refugee region regime republic reserve
resource revenue revolt river road ruling salary sanction school senate settlement shipping
shortage silver soldier sovereignty steel strike subsidy summit supply surplus tariff tax
telegraph territory textile tide timber trade treasury treaty tribunal truce union university
valley veto village vote wage war water wealth weather welfare wheat winter witness worker
across after against ahead almost already although among around because before behind beyond
despite during either enough except however indeed instead later likely meanwhile nearly
neither never often perhaps quickly rarely recently since slowly soon still though through
today together toward under unless until usually whether while within without yesterday
agreed argued asked backed blamed broke built called changed claimed closed cut decided
delayed denied doubled drew faced feared fell found gained grew held joined kept led lost
met moved named opened paid passed planned promised raised reached refused ruled said saw
seized signed sold spent split stayed struck talked tested took turned voted warned won wrote
bitter brief broad careful central coastal costly cautious deep distant divided early eastern
empty fierce fragile frozen general global grand growing hidden local long loyal modest narrow
national northern official open poor popular private public quiet rapid rare regional rural
secret senior severe silent slow small southern stable steady strong sudden urban vast western
""".split()

FIRST_NAMES = """
Ada Amara Anton Aurelio Beatriz Bram Camille Chiara Dario Dmitri Elena Emeka Farah Femi Greta
Hana Hugo Ines Irena Jonas Kaito Karim Lale Leila Lucia Malik Marta Mei Nadia Nikolai Noor Olga
Omar Pablo Priya Rafael Rosa Samir Selin Tariq Tomas Ursula Vera Wanjiru Yara Yusuf Zofia
""".split()
LAST_NAMES = """
Abbas Adeyemi Alvarez Andersen Baptiste Bauer Castillo Chen Costa Dahl Demir Dubois Eriksen
Farouk Ferreira Fischer Garcia Haddad Hoffmann Ibrahim Ivanova Jansen Kato Kowalski Larsen
Mendes Moreau Nakamura Novak Okafor Oliveira Park Petrov Quinn Rahman Rossi Santos Schmidt
Silva Sato Tanaka Torres Varga Weber Yilmaz Zhou
""".split()
AUTHOR_TITLES = [
    "Europe editor",
    "Africa correspondent",
    "Economics writer",
    "Deputy editor",
    "Former diplomat",
    "Historian",
    "Energy analyst",
    "Security correspondent",
    "Contributor",
    "Visiting fellow",
    "Data editor",
    "Latin America correspondent",
]
TAG_QUALIFIERS = """
border coastal energy farm food forest grain labour maritime migration mining oil port
railway river trade water election tax climate
""".split()
TAG_TOPICS = """
policy security prices reform markets rights strikes subsidies tariffs corridors disputes
treaties finance debt courts protests shortages exports imports routes unions quotas budgets
sanctions investment pensions inflation talks elections audits loans councils ministers
boundaries permits licences levies summits courts-martial regulators cartels
""".split()
PALETTE = [
    ("deep blue", (16, 40, 72)),
    ("amber", (230, 160, 60)),
    ("teal", (32, 128, 132)),
    ("dusk red", (170, 52, 48)),
    ("ochre", (196, 140, 72)),
    ("slate grey", (90, 100, 112)),
    ("forest green", (40, 96, 64)),
    ("pale sand", (238, 214, 168)),
    ("night", (10, 16, 38)),
]
SOURCES = ["The Harbour Ledger", "Morning Wire", "Upland Gazette", "Coastal Courier"]


class Text:
    """Deterministic synthetic prose: paragraphs are drawn from a pool of generated sentences."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.sentences = [self._sentence() for _ in range(SENTENCE_POOL)]

    def _sentence(self) -> tuple[str, int]:
        words = self.rng.choices(WORDS, k=self.rng.randint(8, 22))
        if len(words) > 12 and self.rng.random() < 0.4:
            words[self.rng.randint(4, len(words) - 5)] += ","
        return " ".join(words).capitalize() + ".", len(words)

    def words(self, low: int, high: int) -> list[str]:
        return self.rng.choices(WORDS, k=self.rng.randint(low, high))

    def headline(self) -> list[str]:
        return self.words(4, 9)

    def sentence(self) -> str:
        return self.rng.choice(self.sentences)[0]

    def paragraph(self, low: int = 3, high: int = 6) -> tuple[str, int]:
        picked = self.rng.choices(self.sentences, k=self.rng.randint(low, high))
        return "<p>" + " ".join(s for s, _ in picked) + "</p>", sum(n for _, n in picked)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


@dataclass
class SeedImage:
    id: int
    alt: str
    credit: str
    html: str  # top image markup with ALT_MARK where the alt text goes
    card_html: str
    url: str


@dataclass
class Fixtures:
    """Everything the articles point at, loaded (or created) once per run."""

    index: Page
    content_type_id: int
    locale_id: int
    section_ids: list[int]
    kind_ids: list[int]
    authors: list[dict]  # byline entries as rendering.author_entry builds them
    author_weights: list[float]
    tags: list[dict]  # {id, name, slug}
    tag_weights: list[float]
    images: list[SeedImage]


@dataclass
class Article:
    step: int
    path: str
    translation_key: str
    slug: str
    title: str
    dek: str
    published: datetime
    updated: datetime | None
    kind_id: int
    section_ids: list[int]  # primary first
    authors: list[dict]
    tags: list[dict]
    image: SeedImage
    caption: str
    blocks: list[dict]
    paragraphs: list[str]
    word_count: int


class Command(BaseCommand):
    help = "Bulk-generate synthetic articles and briefs for load tests (fast, bypasses Wagtail)."

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=0, help="Articles to add.")
        parser.add_argument("--briefs", type=int, default=0, help="Briefs to add.")
        parser.add_argument("--authors", type=int, default=50, help="Authors to have at least.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed for the text.")
        parser.add_argument("--batch-size", type=int, default=2000, help="Rows per transaction.")

    def handle(self, *args, articles, briefs, authors, seed, batch_size, verbosity, **options):
        if articles < 0 or briefs < 0 or batch_size < 1:
            raise CommandError("--articles and --briefs must be >= 0, --batch-size >= 1")
        started = time.monotonic()
        counts: Counter[str] = Counter()
        fx = load_fixtures(authors, seed, counts)
        start = next_step(fx.index)
        check_capacity(start, articles)
        text = Text(random.Random(f"{seed}:{start}"))
        show = verbosity > 0
        seed_articles(fx, text, start, articles, batch_size, counts, show)
        if articles:  # each page's <article> element and metadata, as a publish stores them
            with tqdm(unit=" articles", desc="fragments", disable=not show) as bar:
                services.article_html_refresh(progress=bar)
        seed_briefs(fx, text, briefs, batch_size, counts, show)
        with transaction.atomic():
            purge_everything()  # bulk rows bypass the signals: every cached page may show them
        if show:
            self._summary(articles, briefs, counts, time.monotonic() - started)

    def _summary(self, articles: int, briefs: int, counts: Counter, elapsed: float) -> None:
        rows = sum(counts.values())
        elapsed = max(elapsed, 1e-6)
        self.stdout.write(
            f"Seeded {articles:,} articles and {briefs:,} briefs in {elapsed:.1f} s: "
            f"{articles / elapsed:,.0f} articles/s, {rows:,} rows ({rows / elapsed:,.0f} rows/s)."
        )
        for table, n in sorted(counts.items()):
            if not n:
                continue
            self.stdout.write(f"  {table:<36} {n:>10,}")


# --- fixtures: sections, kinds, authors, tags and images, created once


def load_fixtures(author_count: int, seed: int, counts: Counter) -> Fixtures:
    index = ArticleIndexPage.objects.order_by("path").first()
    if index is None or not Section.objects.exists() or not Kind.objects.exists():
        raise CommandError("No article index, sections or kinds: run `masthead migrate` first.")
    ensure_authors(author_count, random.Random(f"{seed}:authors"), counts)
    authors = [
        rendering.author_entry(a) for a in Author.objects.select_related("photo").order_by("pk")
    ]
    if not authors:
        raise CommandError("No authors to write the articles: pass --authors 1 or more.")
    tags = ensure_tags(counts)
    return Fixtures(
        index=Page.objects.get(pk=index.pk),
        content_type_id=ContentType.objects.get_for_model(ArticlePage).pk,
        locale_id=Locale.get_default().pk,
        section_ids=list(Section.objects.values_list("pk", flat=True)),
        kind_ids=list(Kind.objects.values_list("pk", flat=True)),
        authors=authors,
        author_weights=zipf_weights(len(authors)),
        tags=tags,
        tag_weights=zipf_weights(len(tags)),
        images=ensure_images(counts),
    )


def zipf_weights(n: int) -> list[float]:
    """A few prolific authors and popular tags, a long tail of rare ones."""
    return [1 / (i + 1) ** 0.8 for i in range(n)]


def ensure_authors(count: int, rng: random.Random, counts: Counter) -> None:
    missing = count - Author.objects.count()
    if missing <= 0:
        return
    taken = set(Author.objects.values_list("slug", flat=True))
    new = []
    for _ in range(missing):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        slug = slugify(name)
        if slug in taken:
            slug = f"{slug}-{len(taken)}"
        taken.add(slug)
        staff = rng.random() < 0.3
        new.append(
            Author(
                name=name,
                slug=slug,
                title=rng.choice(AUTHOR_TITLES),
                role=Author.Role.STAFF if staff else Author.Role.CONTRIBUTOR,
                bio=f"{name} writes about {rng.choice(WORDS)} and {rng.choice(WORDS)}. "
                f"Before that, {rng.choice(['she', 'he', 'they'])} worked in {rng.choice(WORDS)}.",
            )
        )
    Author.objects.bulk_create(new)
    counts[Author._meta.db_table] += len(new)


def tag_names() -> list[str]:
    """The same TAG_COUNT names on every run, whatever --seed, so tags are created once."""
    pairs = [f"{q} {t}" for q in TAG_QUALIFIERS for t in TAG_TOPICS]
    random.Random("masthead-seed-tags").shuffle(pairs)
    return pairs[:TAG_COUNT]


def ensure_tags(counts: Counter) -> list[dict]:
    names = tag_names()
    slugs = [slugify(n) for n in names]
    before = Tag.objects.filter(slug__in=slugs).count()
    Tag.objects.bulk_create(
        [Tag(name=n, slug=s) for n, s in zip(names, slugs, strict=True)], ignore_conflicts=True
    )
    tags = list(Tag.objects.filter(slug__in=slugs).order_by("pk").values("id", "name", "slug"))
    counts[Tag._meta.db_table] += len(tags) - before
    return tags


def ensure_images(counts: Counter) -> list[SeedImage]:
    found = []
    for i in range(IMAGE_COUNT):
        title = f"Seed image {i + 1:02d}"
        image = MastheadImage.objects.filter(title=title).first()
        if image is None:
            image = create_image(i, title)
            counts[MastheadImage._meta.db_table] += 1
        found.append(seed_image(image))
    return found


def create_image(i: int, title: str) -> MastheadImage:
    """A 1600x900 two-colour gradient with a disc, saved through the image library."""
    (name_a, colour_a), (name_b, colour_b) = (
        PALETTE[i % len(PALETTE)],
        PALETTE[(i + 1 + i // len(PALETTE)) % len(PALETTE)],  # never the same colour twice
    )
    ramp = Image.linear_gradient("L")
    if i % 2:
        ramp = ramp.rotate(90)
    picture = ImageOps.colorize(ramp.resize(IMAGE_SIZE), colour_a, colour_b)
    x, y, r = 300 + (i * 97) % 1000, 200 + (i * 53) % 400, 90 + (i * 31) % 120
    ImageDraw.Draw(picture).ellipse((x - r, y - r, x + r, y + r), fill=colour_b, outline=colour_a)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=82)
    data = buffer.getvalue()
    # The file is given at construction, as Wagtail's upload form does, so width and height are
    # read from it (image.file.save() on a new instance leaves them empty: NOT NULL fails).
    image = MastheadImage(
        title=title,
        credit=IMAGE_CREDIT,
        description=f"An abstract gradient from {name_a} to {name_b} with a round sun",
        file=ImageFile(io.BytesIO(data), name=f"seed-image-{i + 1:02d}.jpg"),
        file_size=len(data),
        file_hash=hashlib.sha1(data).hexdigest(),
    )
    image.save()
    return image


def seed_image(image: MastheadImage) -> SeedImage:
    """The image's markup, rendered (with its renditions) once and shared by every article."""
    return SeedImage(
        id=image.pk,
        alt=image.description or image.title,
        credit=image.credit or IMAGE_CREDIT,
        html=images.picture_html(image, alt=ALT_MARK, lazy=False),
        card_html=rendering.card_image_html(image, ALT_MARK),
        url=images.image_url(image),
    )


# --- the page tree


def encode_step(n: int) -> str:
    alphabet, digits = Page.alphabet, ""
    while n:
        n, r = divmod(n, len(alphabet))
        digits = alphabet[r] + digits
    return digits.rjust(Page.steplen, alphabet[0])


def decode_step(step: str) -> int:
    n = 0
    for char in step:
        n = n * len(Page.alphabet) + Page.alphabet.index(char)
    return n


def children(index: Page):
    """Children of the index, by a range on the (unique, indexed) path column."""
    last = index.path + Page.alphabet[-1] * Page.steplen
    return Page.objects.filter(depth=index.depth + 1, path__gt=index.path, path__lte=last)


def next_step(index: Page) -> int:
    last = children(index).order_by("-path").values_list("path", flat=True).first()
    return decode_step(last[-Page.steplen :]) + 1 if last else 1


def check_capacity(start: int, count: int) -> None:
    room = len(Page.alphabet) ** Page.steplen - start
    if count > room:
        raise CommandError(f"The article index has room for {room:,} more children, not {count:,}.")


# --- articles


def seed_articles(fx, text, start, count, batch_size, counts, show) -> None:
    now = timezone.now().replace(microsecond=0)
    end = start + count
    with tqdm(total=count, unit=" articles", desc="articles", disable=not show or not count) as bar:
        for first in range(start, end, batch_size):
            batch = [
                make_article(fx, text, step, now)
                for step in range(first, min(first + batch_size, end))
            ]
            write_articles(fx, batch, counts)
            bar.update(len(batch))


def distinct(items: list[dict], want: int) -> list[dict]:
    """The first `want` items with distinct ids (weighted draws may repeat), order kept."""
    out: dict[int, dict] = {}
    for item in items:
        out.setdefault(item["id"], item)
    return list(out.values())[:want]


def make_article(fx: Fixtures, text: Text, step: int, now: datetime) -> Article:
    rng = text.rng
    words = text.headline()
    published = now - timedelta(seconds=rng.randrange(YEARS * 365 * 86400))
    updated = min(now, published + timedelta(hours=rng.randint(2, 96)))  # kept for 8%
    sections = [rng.choice(fx.section_ids)]
    if rng.random() < 0.2:
        sections = list(dict.fromkeys(sections + [rng.choice(fx.section_ids)]))
    paragraphs = [text.paragraph() for _ in range(PARAGRAPHS)]
    return Article(
        step=step,
        path=fx.index.path + encode_step(step),
        translation_key=text.uuid(),
        slug=f"seed-{step}-" + "-".join(words[:5]),
        title=" ".join(words).capitalize(),
        dek=text.sentence(),
        published=published,
        updated=updated if rng.random() < 0.08 else None,  # display_updated_at
        kind_id=rng.choice(fx.kind_ids),
        section_ids=sections,
        authors=distinct(rng.choices(fx.authors, fx.author_weights, k=rng.randint(1, 3)), 3),
        tags=distinct(rng.choices(fx.tags, fx.tag_weights, k=rng.randint(2, 6)), 5),
        image=rng.choice(fx.images),
        caption=text.sentence()[:255] if rng.random() < 0.5 else "",
        blocks=[{"type": "paragraph", "value": html, "id": text.uuid()} for html, _ in paragraphs],
        paragraphs=[html for html, _ in paragraphs],
        word_count=sum(n for _, n in paragraphs),
    )


def write_articles(fx: Fixtures, batch: list[Article], counts: Counter) -> None:
    """One transaction: pages, article rows, bylines, tags, records, and the index's numchild."""
    rendered_at = timezone.now()
    with transaction.atomic():
        pages = list(zip(batch, insert_pages(fx, batch), strict=True))
        tables = {
            ArticlePage: [article_row(a, pid) for a, pid in pages],
            PublishedArticle: [record(a, pid, rendered_at) for a, pid in pages],
            **related_rows(pages),
        }
        for model, rows in tables.items():
            insert_rows(model, rows)
            counts[model._meta.db_table] += len(rows)
        Page.objects.filter(pk=fx.index.pk).update(numchild=F("numchild") + len(batch))
    counts[Page._meta.db_table] += len(batch)


def insert_pages(fx: Fixtures, batch: list[Article]) -> list[int]:
    insert_rows(Page, [page_row(fx, a) for a in batch])
    ids = dict(
        children(fx.index)
        .filter(path__gte=batch[0].path, path__lte=batch[-1].path)
        .values_list("path", "pk")
    )
    return [ids[a.path] for a in batch]


def page_row(fx: Fixtures, a: Article) -> dict:
    last_published = a.updated or a.published
    return {
        "path": a.path,
        "depth": fx.index.depth + 1,
        "numchild": 0,
        "title": a.title,
        "draft_title": a.title,
        "slug": a.slug,
        "url_path": f"{fx.index.url_path}{a.slug}/",
        "content_type_id": fx.content_type_id,
        "locale_id": fx.locale_id,
        "translation_key": a.translation_key,
        "live": True,
        "has_unpublished_changes": False,
        "first_published_at": a.published,
        "last_published_at": last_published,
    }


def article_row(a: Article, page_id: int) -> dict:
    return {
        "page_ptr_id": page_id,
        "social_headline": "",
        "dek": a.dek,
        "kind_id": a.kind_id,
        "section_id": a.section_ids[0],
        "top_image_id": a.image.id,
        "top_image_alt": a.image.alt,
        "top_image_credit": a.image.credit,
        "top_image_caption": a.caption,
        "body": a.blocks,
        "display_updated_at": a.updated,
    }


def record(a: Article, page_id: int, rendered_at: datetime) -> dict:
    """The reader record, as services.article_record_fields renders it."""
    alt = escape(a.image.alt)
    more = a.paragraphs[1 : 1 + rendering.CARD_MORE_PARAGRAPHS]
    return {
        "page_id": page_id,
        "slug": a.slug,
        "url": f"/articles/{a.slug}/",
        "headline": a.title,
        "social_headline": "",
        "dek": a.dek,
        "kind_id": a.kind_id,
        "section_id": a.section_ids[0],
        "published_at": a.published,
        "updated_at": a.updated,
        "authors": a.authors,
        "tags": [{"id": t["id"], "name": t["name"], "slug": t["slug"]} for t in a.tags],
        "image_html": a.image.html.replace(ALT_MARK, alt),
        "card_image_html": a.image.card_html.replace(ALT_MARK, alt),
        "image_url": a.image.url,
        "image_alt": a.image.alt,
        "image_credit": a.image.credit,
        "image_caption": a.caption,
        "image_id": a.image.id,
        "body_html": "\n".join(a.paragraphs),
        "first_paragraph_html": a.paragraphs[0],
        "more_paragraphs_html": "".join(more),
        "word_count": a.word_count,
        "rendered_at": rendered_at,
    }


def related_rows(pages: list[tuple[Article, int]]) -> dict:
    """Bylines, tags and other sections of the pages, and the record's join rows."""
    other_sections = ArticlePage.other_sections.through
    rows: dict = {
        m: []
        for m in (
            ArticleAuthor,
            ArticlePageTag,
            other_sections,
            PublishedArticleSection,
            PublishedArticleTag,
            PublishedArticleAuthor,
        )
    }
    for a, pid in pages:
        when = a.published
        for i, author in enumerate(a.authors):
            rows[ArticleAuthor].append({"page_id": pid, "author_id": author["id"], "sort_order": i})
            rows[PublishedArticleAuthor].append(
                {"article_id": pid, "author_id": author["id"], "published_at": when}
            )
        for tag in a.tags:
            rows[ArticlePageTag].append({"content_object_id": pid, "tag_id": tag["id"]})
            rows[PublishedArticleTag].append(
                {"article_id": pid, "tag_id": tag["id"], "published_at": when}
            )
        for sid in a.section_ids[1:]:
            rows[other_sections].append({"articlepage_id": pid, "section_id": sid})
        for sid in a.section_ids:
            rows[PublishedArticleSection].append(
                {"article_id": pid, "section_id": sid, "published_at": when}
            )
    return rows


def insert_rows(model, rows: list[dict]) -> None:
    """INSERT rows into the model's own table only, with one executemany.

    bulk_create refuses multi-table models (ArticlePage) and, for the plain ones, builds a model
    instance per row and compiles a multi-row INSERT per few dozen rows: several times slower.
    Keys are attnames; columns not given take the field default. Values go through each field's
    get_db_prep_save, exactly as the ORM would convert them (datetimes, UUIDs, JSON).
    """
    if not rows:
        return
    fields = [f for f in model._meta.local_concrete_fields if f is not model._meta.auto_field]
    unknown = set(rows[0]) - {f.attname for f in fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no column for {sorted(unknown)}")
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in rows[0]}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({marks})"
    params = [
        [
            f.get_db_prep_save(row.get(f.attname, defaults.get(f.attname)), connection)
            for f in fields
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# --- briefs


def seed_briefs(fx, text, count, batch_size, counts, show) -> None:
    now = timezone.now().replace(microsecond=0)
    with tqdm(total=count, unit=" briefs", desc="briefs", disable=not show or not count) as bar:
        for first in range(0, count, batch_size):
            batch = [make_brief(fx, text, now) for _ in range(min(batch_size, count - first))]
            with transaction.atomic():
                Brief.objects.bulk_create(batch)
            counts[Brief._meta.db_table] += len(batch)
            bar.update(len(batch))


def make_brief(fx: Fixtures, text: Text, now: datetime) -> Brief:
    rng = text.rng
    published = now - timedelta(seconds=rng.randrange(YEARS * 365 * 86400))
    body = "".join(text.paragraph(2, 4)[0] for _ in range(rng.randint(1, 2)))
    source = rng.choice(SOURCES) if rng.random() < 0.4 else ""
    return Brief(
        headline=" ".join(text.words(5, 10)).capitalize(),
        body=body,
        section_id=rng.choice(fx.section_ids),
        source_name=source,
        source_url=f"https://example.org/{slugify(source)}/{rng.randrange(10**6)}"
        if source
        else "",
        live=True,
        has_unpublished_changes=False,
        first_published_at=published,
        last_published_at=published,
    )
