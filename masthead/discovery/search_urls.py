"""search URLs."""

urlpatterns: list = []
