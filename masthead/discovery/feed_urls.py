"""feed URLs."""

urlpatterns: list = []
