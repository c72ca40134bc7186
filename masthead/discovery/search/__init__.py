"""Reader search: a dedicated full-text index of live articles and briefs.

The public surface:

- `query.parse(raw)`: a reader's query as a safe structure (words, phrases, exclusions);
- `selectors.search_page(query, filters, number)`: one page of ranked, highlighted results;
- `services.entry_index_article / entry_index_brief / entry_remove / index_rebuild`: writes.

Backends (`backends/`, one per database vendor) translate a parsed query into their own index's
terms. Wagtail's search index is left to the admin. See docs/search.md.
"""
