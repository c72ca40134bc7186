"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the magazine, its listings and the briefs (docs/feeds.md).

scopes: which listing a feed follows; selectors: its newest records; entries: records to
cleaned, format-independent entries; rss, atom, jsonfeed: one writer per format; build: one
build per content version; views: HTTP, caching headers and conditional GET.
"""
