"""A stock-Wagtail rendering of Masthead's ArticlePage, for `bench/stack.py` to compare against.

What a straightforward Wagtail site built from Wagtail's documentation does for the same page,
from the same database: look the page up through the ORM, render a Django template with
`{% image %}`, `{% include_block %}`, `{% pageurl %}` and `{% get_settings %}`, build the related
stories and LATEST from ArticlePage querysets and the sidebar from the Brief model, no caching.
Mounted at /_stock/articles/<slug>/ by `stockwagtail.urls` (settings: `stockwagtail.settings`,
with bench/ on PYTHONPATH); the rest of the site is Masthead's.
"""
