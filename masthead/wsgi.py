import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")
application = get_wsgi_application()

# Pages this process already holds are answered before Django (masthead/edge/wsgi.py).
from masthead.edge.wsgi import PageCacheApp  # noqa: E402

application = PageCacheApp(application)
