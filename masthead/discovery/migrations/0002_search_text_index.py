"""The full-text index of SearchEntry, in each database's own terms.

SQLite: two FTS5 tables reading their text from discovery_searchentry (external content), kept in
step by triggers, so every write to the entry table (the ORM, a flush, raw SQL) updates them.
`discovery_search_fts` holds every searched column; `discovery_search_head` only the short ones
(headline, dek, byline, tags), so that ranking the strong matches never reads the long body
postings.

PostgreSQL: stored tsvector columns computed by the database (weights A headline, B dek,
C byline and tags, D body) with GIN indexes.

Other databases get neither; search reports no results there.
"""

from django.db import migrations

TOKENIZE = "porter unicode61 remove_diacritics 2"
TABLE = "discovery_searchentry"
FTS_COLUMNS = ["headline", "dek", "body", "author_names", "tag_names", "facets"]
HEAD_COLUMNS = ["headline", "dek", "author_names", "tag_names", "facets"]
INDEXES = {"discovery_search_fts": FTS_COLUMNS, "discovery_search_head": HEAD_COLUMNS}


def _fts_table(name, columns):
    return (
        f"CREATE VIRTUAL TABLE {name} USING fts5({', '.join(columns)}, content='{TABLE}', "
        f"content_rowid='id', tokenize='{TOKENIZE}')"
    )


def _add(name, columns, row):
    values = ", ".join(f"{row}.{c}" for c in columns)
    return f"INSERT INTO {name}(rowid, {', '.join(columns)}) VALUES ({row}.id, {values});"


def _remove(name, columns, row):
    values = ", ".join(f"{row}.{c}" for c in columns)
    return (
        f"INSERT INTO {name}({name}, rowid, {', '.join(columns)}) "
        f"VALUES ('delete', {row}.id, {values});"
    )


def _trigger(event, body):
    return f"CREATE TRIGGER discovery_search_{event.lower()} AFTER {event} ON {TABLE} BEGIN {body} END"


SQLITE_FORWARD = [_fts_table(n, c) for n, c in INDEXES.items()] + [
    _trigger("INSERT", " ".join(_add(n, c, "new") for n, c in INDEXES.items())),
    _trigger("DELETE", " ".join(_remove(n, c, "old") for n, c in INDEXES.items())),
    _trigger(
        "UPDATE",
        " ".join(_remove(n, c, "old") for n, c in INDEXES.items())
        + " "
        + " ".join(_add(n, c, "new") for n, c in INDEXES.items()),
    ),
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS discovery_search_insert",
    "DROP TRIGGER IF EXISTS discovery_search_delete",
    "DROP TRIGGER IF EXISTS discovery_search_update",
    "DROP TABLE IF EXISTS discovery_search_fts",
    "DROP TABLE IF EXISTS discovery_search_head",
]

_HEAD_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, headline), 'A') || "
    "setweight(to_tsvector('english'::regconfig, dek), 'B') || "
    "setweight(to_tsvector('english'::regconfig, author_names || ' ' || tag_names), 'C')"
)
POSTGRES_FORWARD = [
    f"ALTER TABLE {TABLE} "
    f"ADD COLUMN head_vector tsvector GENERATED ALWAYS AS ({_HEAD_VECTOR}) STORED, "
    f"ADD COLUMN document tsvector GENERATED ALWAYS AS ({_HEAD_VECTOR} || "
    f"setweight(to_tsvector('english'::regconfig, body), 'D')) STORED, "
    f"ADD COLUMN facet_vector tsvector GENERATED ALWAYS AS "
    f"(to_tsvector('simple'::regconfig, facets)) STORED",
    f"CREATE INDEX discovery_search_document ON {TABLE} USING gin (document)",
    f"CREATE INDEX discovery_search_head ON {TABLE} USING gin (head_vector)",
    f"CREATE INDEX discovery_search_facets ON {TABLE} USING gin (facet_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS discovery_search_document",
    "DROP INDEX IF EXISTS discovery_search_head",
    "DROP INDEX IF EXISTS discovery_search_facets",
    f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS head_vector, DROP COLUMN IF EXISTS document, "
    "DROP COLUMN IF EXISTS facet_vector",
]


class VendorSQL(migrations.RunSQL):
    """RunSQL that applies only when the database is `vendor` (a no-op elsewhere)."""

    def __init__(self, vendor, sql, reverse_sql):
        self.vendor = vendor
        super().__init__(sql, reverse_sql)

    def deconstruct(self):
        return (self.__class__.__name__, [self.vendor, self.sql, self.reverse_sql], {})

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):

    dependencies = [
        ("discovery", "0001_search_entry"),
    ]

    operations = [
        VendorSQL("sqlite", SQLITE_FORWARD, SQLITE_BACKWARD),
        VendorSQL("postgresql", POSTGRES_FORWARD, POSTGRES_BACKWARD),
    ]
