"""Masthead settings, read from the environment.

Every variable is declared once, here, with a safe one-machine default. docs/configuration.md
lists them. An integration turns on when its variable is present; nothing sniffs sys.argv.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from wagtail.embeds import oembed_providers

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PACKAGE_DIR = BASE_DIR / "masthead"

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "[::1]"]),
    CSRF_TRUSTED_ORIGINS=(list, []),
    TIME_ZONE=(str, "UTC"),
    SITE_URL=(str, "http://127.0.0.1:8000"),
    SITE_NAME=(str, "Masthead"),
    TASK_BACKEND=(str, "database"),
    SERVE_MEDIA=(bool, True),
    SECURE_PROXY=(bool, False),
    SCHEDULER_INTERVAL=(float, 10.0),
    LISTING_PAGE_SIZE=(int, 20),
    LISTING_MAX_PAGE=(int, 5000),
)

# VAR_DIR holds everything a one-machine install writes: database, media, outbox, secret key.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env("DEBUG")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL").rstrip("/")
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAIL_SITE_NAME = env("SITE_NAME")


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in VAR_DIR."""
    if "SECRET_KEY" in env.ENVIRON:
        return env.str("SECRET_KEY")
    from django.core.management.utils import get_random_secret_key

    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

INSTALLED_APPS = [
    "masthead.security",
    "masthead.core",
    "masthead.editorial",
    "masthead.briefs",
    "masthead.newsletter",
    "masthead.discovery",
    "masthead.edge",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    # --- Security (docs/security.md): CSP, login lockout, two-factor authentication
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    # Outermost: the caching policy of every response, and the app page cache (a hit skips
    # everything below, and is served with the security headers it was stored with).
    "masthead.edge.middleware.EdgeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # --- Security (docs/security.md): the Content-Security-Policy (outside XFrameOptions, whose
    # header it mirrors as frame-ancestors), Permissions-Policy and the headers of uploads.
    "masthead.security.csp.CSPMiddleware",
    "masthead.security.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # --- Security: a second factor for the admin (after authentication, before any admin view).
    "django_otp.middleware.OTPMiddleware",
    "masthead.security.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # --- Security: nonces for the Wagtail admin's own inline initialisers (masthead/security/csp.py).
    "masthead.security.csp.AdminScriptNonceMiddleware",
    # --- Security: clear answers to malformed admin requests, capped admin searches (issue 6).
    "masthead.security.admin_guards.AdminGuardMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # --- Security: login lockout; django-axes asks to be last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "masthead.urls"
WSGI_APPLICATION = "masthead.wsgi.application"

TEMPLATES = [
    {
        # Reader pages: Jinja2 (measured faster than Django templates for the article page).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "masthead.core.jinja2env.environment",
            "autoescape": True,
            "extensions": ["wagtail.jinja2tags.core", "wagtail.images.jinja2tags.images"],
        },
    },
    {
        # The Wagtail admin and Django's own pages.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: SQLite in WAL mode by default; DATABASE_URL for PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # IMMEDIATE: a writer takes the lock when its transaction starts, so concurrent
            # writes wait (busy timeout) instead of failing with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA mmap_size=268435456; PRAGMA cache_size=-65536;"
            ),
        }
    )
else:
    # Off by default: a check is a `SELECT 1` round trip before every request's first query. A
    # connection the server dropped (a restart) fails one request with a 503 instead, and Django
    # closes it at the end of that request (masthead/core/outages.py); the next one reconnects.
    DATABASES["default"].setdefault(
        "CONN_HEALTH_CHECKS", env.bool("DB_CONN_HEALTH_CHECKS", default=False))
    # The reader pages' hottest queries are prepared once per connection after this many runs
    # (masthead/core/sql.py); empty turns it off (PgBouncer in transaction mode).
    _prepare = env.str("DB_PREPARE_THRESHOLD", default="5").strip()
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "prepare_threshold", int(_prepare) if _prepare else None)
# Persistent connections, on SQLite too: opening one runs the PRAGMAs above and makes SQLite
# parse the schema, 2–3 ms of CPU that would otherwise be paid by every request.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=600))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: per-process memory by default; CACHE_URL=redis://... when several processes share.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://masthead")}

# --- Email: a local outbox folder by default, so a new install needs no mail server.
EMAIL_OUTBOX_DIR = VAR_DIR / "outbox"
# The default, `outbox://`, writes each message as an .eml file in VAR_DIR/outbox (readable in
# the admin under Newsletter → Outbox); `outbox:///path` picks another folder.
_email_url = env.str("EMAIL_URL", default="outbox://")
if _email_url.startswith("outbox:"):
    EMAIL_BACKEND = "masthead.core.outbox.OutboxBackend"
    EMAIL_FILE_PATH = _email_url[len("outbox://"):] or str(EMAIL_OUTBOX_DIR)
else:
    vars().update(env.email("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="The Meridian Review <newsletter@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Any django-anymail provider: EMAIL_BACKEND=anymail.backends.postmark.EmailBackend and its
# credentials as ANYMAIL_* variables (e.g. ANYMAIL_POSTMARK_SERVER_TOKEN). Tracking webhooks
# post to /newsletter/webhooks/anymail/<provider>/tracking/ with ANYMAIL_WEBHOOK_SECRET.
if "EMAIL_BACKEND" in env.ENVIRON:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND")
ANYMAIL = {
    key[len("ANYMAIL_"):]: value for key, value in env.ENVIRON.items() if key.startswith("ANYMAIL_")
}

# --- Newsletter (the weekly round-up)
NEWSLETTER_SEND_WEEKDAY = env.int("NEWSLETTER_SEND_WEEKDAY", default=4)  # Monday=0: Friday
NEWSLETTER_DRAFT_TIME = env.str("NEWSLETTER_DRAFT_TIME", default="06:00")  # drafted, not sent
NEWSLETTER_CONFIRM_MAX_AGE = env.int("NEWSLETTER_CONFIRM_MAX_AGE", default=7 * 24 * 3600)
NEWSLETTER_CONFIRM_COOLDOWN = env.int("NEWSLETTER_CONFIRM_COOLDOWN", default=15 * 60)
NEWSLETTER_RATE_PER_IP = env.str("NEWSLETTER_RATE_PER_IP", default="20/h")
NEWSLETTER_RATE_PER_ADDRESS = env.str("NEWSLETTER_RATE_PER_ADDRESS", default="5/h")
NEWSLETTER_BATCH_SIZE = env.int("NEWSLETTER_BATCH_SIZE", default=200)
NEWSLETTER_LEASE_SECONDS = env.int("NEWSLETTER_LEASE_SECONDS", default=120)
NEWSLETTER_MAX_ATTEMPTS = env.int("NEWSLETTER_MAX_ATTEMPTS", default=5)
NEWSLETTER_PAUSE_AFTER_FAILURES = env.int("NEWSLETTER_PAUSE_AFTER_FAILURES", default=50)
NEWSLETTER_LIST_ID = env.str("NEWSLETTER_LIST_ID", default="round-up.newsletter.localhost")
NEWSLETTER_UNSUBSCRIBE_MAILTO = env.str("NEWSLETTER_UNSUBSCRIBE_MAILTO", default="")
# Where the mail server delivers that address (a Maildir): the worker's clock reads it.
NEWSLETTER_UNSUBSCRIBE_MAILDIR = env.str("NEWSLETTER_UNSUBSCRIBE_MAILDIR", default="")
NEWSLETTER_DKIM_KEY_FILE = env.str("NEWSLETTER_DKIM_KEY_FILE", default="")
NEWSLETTER_DKIM_SELECTOR = env.str("NEWSLETTER_DKIM_SELECTOR", default="masthead")
NEWSLETTER_DKIM_DOMAIN = env.str("NEWSLETTER_DKIM_DOMAIN", default="")

# --- Background tasks (Django's tasks API through the django-tasks backport).
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[env("TASK_BACKEND")]
    }
}
SCHEDULER_INTERVAL = env("SCHEDULER_INTERVAL")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
SERVE_MEDIA = env("SERVE_MEDIA")
STORAGES = {
    "default": {"BACKEND": "masthead.core.storage.MediaStorage"},  # whole files or none
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 3600

# --- Wagtail
WAGTAILIMAGES_IMAGE_MODEL = "core.MastheadImage"
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 64_000_000
WAGTAILIMAGES_FORMAT_CONVERSIONS = {"avif": "webp", "bmp": "png"}
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAIL_ALLOW_UNICODE_SLUGS = False
WAGTAIL_MODERATION_ENABLED = True
WAGTAIL_WORKFLOW_ENABLED = True
TAGGIT_CASE_INSENSITIVE = True
WAGTAILADMIN_RICH_TEXT_EDITORS = {
    "default": {
        "WIDGET": "wagtail.admin.rich_text.DraftailRichTextArea",
        "OPTIONS": {"features": ["bold", "italic", "link", "document-link", "superscript"]},
    }
}

# --- Reader pages
LISTING_PAGE_SIZE = env("LISTING_PAGE_SIZE")
LISTING_MAX_PAGE = env("LISTING_MAX_PAGE")
SITEMAP_PAGE_SIZE = env.int("SITEMAP_PAGE_SIZE", default=50000)  # URLs per article sitemap
FEED_ITEMS = env.int("FEED_ITEMS", default=20)  # items in every RSS, Atom and JSON feed

# --- Caching and purges (docs/caching.md)
# The app page cache: public reader pages kept this many seconds in the default cache (memory
# per process, or Redis with CACHE_URL), valid for one content version; 0 turns it off.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=300)
# Rendered pages each process keeps in its own memory in front of that cache (bytes; 0: none).
PAGE_CACHE_LOCAL_BYTES = env.int("PAGE_CACHE_LOCAL_BYTES", default=32 * 1024 * 1024)
# How long a process trusts the content version it last read (masthead/core/versioning.py): a
# request in between reads no version from the database. Purges wait this long after a commit.
CONTENT_VERSION_SECONDS = env.float("CONTENT_VERSION_SECONDS", default=0.25)
BROWSER_CACHE_SECONDS = env.int("BROWSER_CACHE_SECONDS", default=60)  # max-age of reader pages
# s-maxage: how long a caching proxy may keep a page; changes purge it sooner, exactly.
PROXY_CACHE_SECONDS = env.int("PROXY_CACHE_SECONDS", default=86400)
# Varnish nodes (comma-separated base URLs) the worker sends xkey purges to after a change.
VARNISH_URLS = [u.rstrip("/") for u in env.list("VARNISH_URLS", default=[]) if u.strip()]
# How often the worker looks for new tasks: purges reach the proxies within about this long.
WORKER_POLL_INTERVAL = env.float("WORKER_POLL_INTERVAL", default=0.25)
# Tasks a killed worker left running go back in the queue: all of them when the (single) worker
# starts, and any still running after TASK_STALE_SECONDS (masthead/core/taskrecovery.py).
WORKER_REQUEUE_ON_START = env.bool("WORKER_REQUEUE_ON_START", default=True)
TASK_STALE_SECONDS = env.int("TASK_STALE_SECONDS", default=900)

# --- Security (docs/security.md) ---------------------------------------------------------------
# Headers and cookies. Everything secure-only turns on when SITE_URL is https://.
_HTTPS = SITE_URL.startswith("https://")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # the Wagtail admin reads its token from the page, not the cookie
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Powerful browser features no page of the magazine uses (masthead.security.middleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), browsing-topics=(), camera=(), display-capture=(), "
    "geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), "
    "usb=(), xr-spatial-tracking=()"
)
# Proxies in front of the app that append to X-Forwarded-For (nginx + Varnish in deploy/: 2).
# The reader's IP (rate limits, lockouts, consent log) is read that many entries from the right.
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)
SECURE_PROXY = env("SECURE_PROXY")  # behind a TLS proxy: trust X-Forwarded-Proto
if SECURE_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if _HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("HSTS_PRELOAD", default=False)
    # Behind the TLS proxy the app can tell http from https (SECURE_PROXY); the health check
    # stays reachable over plain http for the proxy's probes.
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE_PROXY)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Preloading is a one-way commitment for a whole registrable domain, not the magazine's to make
# by default: HSTS_PRELOAD=true opts in (and then the check applies again).
SILENCED_SYSTEM_CHECKS = [] if env.bool("HSTS_PRELOAD", default=False) else ["security.W021"]

# Content-Security-Policy (django-csp 4). Reader pages are cached whole (Varnish and the app
# page cache), so their policy is the same for every request: no nonce, no inline script or
# style, scripts from this site only. A nonce ('nonce-…') appears only in responses that asked
# for one: the Wagtail admin, whose own initialisers get it (masthead/security/csp.py, which
# also adds what the admin needs: inline styles, data:/blob: images, same-site frames).
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": [STATIC_URL],  # scripts and stylesheets need no policy of their own
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "frame-src": [NONE],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if _HTTPS:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] = True
# Browsers report what the policy refused to /csp-report/, which logs it (masthead.security.
# csp_reports), unless CSP_REPORT_URI names another collector. `report-to` names the endpoint of
# the Reporting-Endpoints header the CSP middleware sends; browsers with the Reporting API use it.
# (Not a setting of its own: django-csp 4 refuses its old `CSP_REPORT_URI` setting.)
CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [
    env.str("CSP_REPORT_URI", default="") or "/csp-report/"]
CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-to"] = "csp"
CSP_REPORT_RATE_PER_IP = env.str("CSP_REPORT_RATE_PER_IP", default="60/m")  # reports logged

# Admin login: lockout per account and per address (django-axes). The address is the reader's
# IP as everything else sees it (masthead.core.clientip: TRUSTED_PROXY_HOPS from the right of
# X-Forwarded-For, else REMOTE_ADDR).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # either one locks: account or address
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "masthead.security.clientip.lockout_address"
AXES_LOCKOUT_CALLABLE = "masthead.security.views.lockout"  # a clear page, status 429
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLE_ADMIN = False  # Django's admin is not mounted; lockouts show in the logs
AXES_SENSITIVE_PARAMETERS = []  # logs name the account and address: what an incident needs

# Two-factor authentication (TOTP, django-otp) for the admin: administrators (superusers) must
# enrol at /admin/2fa/setup/ before they can use the admin; other staff may. On by default
# when the site is served over https; a local http install (make demo) leaves it optional.
REQUIRE_2FA_FOR_ADMINS = env.bool("REQUIRE_2FA_FOR_ADMINS", default=_HTTPS)
OTP_TOTP_ISSUER = WAGTAIL_SITE_NAME

# Uploads: images by content and size (Wagtail checks both), no SVG; documents always download.
WAGTAILIMAGES_EXTENSIONS = ["avif", "gif", "jpg", "jpeg", "png", "webp"]
# Uploaded images are stored without EXIF/GPS, XMP or IPTC (masthead/security/uploads.py).
WAGTAILIMAGES_IMAGE_FORM_BASE = "masthead.security.uploads.ImageForm"
WAGTAILDOCS_SERVE_METHOD = "serve_view"  # through the app, so private collections stay private
WAGTAILDOCS_INLINE_CONTENT_TYPES = []  # every document is an attachment, never shown inline

# Embeds: only these oEmbed providers (names from wagtail.embeds.oembed_providers). Any other
# URL is refused without a request, so an editor cannot make the server fetch an address.
EMBED_PROVIDERS = env.list("EMBED_PROVIDERS", default=["youtube", "vimeo"])
WAGTAILEMBEDS_FINDERS = [
    {
        "class": "wagtail.embeds.finders.oembed",
        "providers": [getattr(oembed_providers, name) for name in EMBED_PROVIDERS],
    }
]
# The admin calls no third party from the browser: no update check, no Gravatar.
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# --- end of Security ---------------------------------------------------------------------------
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {"masthead": {"level": env.str("LOG_LEVEL", default="INFO")}},
}
