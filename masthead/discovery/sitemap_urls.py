"""sitemap URLs."""

urlpatterns: list = []
