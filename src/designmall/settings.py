"""Settings, read from the environment.

The embedded default (no environment at all) is SQLite in WAL mode under
``var/``, an in-database cache and a secret key generated once and kept in
``var/secret_key``. Production sets DATABASE_URL, REDIS_URL and SECRET_KEY.
"""

import contextlib
import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("DESIGNMALL_HOME", Path.cwd())).resolve()
VAR_DIR = Path(os.environ.get("DESIGNMALL_VAR", BASE_DIR / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _local_secret_key() -> str:
    """A key generated on first run and kept beside the demo data."""
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


DEBUG = _env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret_key()
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_countries",
    "django.contrib.humanize",
    "csp",
    "ninja",  # serves the API docs' Swagger assets locally (no CDN)
    "designmall.core",
    "designmall.accounts",
    "designmall.catalog",
    "designmall.inventory",
    "designmall.orders",
    "designmall.events",
    "designmall.auctions",
    "designmall.promotions",
    "designmall.presale",
    "designmall.o2o",
    "designmall.payments",
    "designmall.ledger",
    "designmall.storefront",
    "designmall.api",
    "designmall.demo",
]

# Sessions, auth, messages and the CSP header are passed by for API calls with a
# bearer token (core/apitokens.py); API calls on a browser session keep them all.
MIDDLEWARE = [
    "designmall.core.metrics.RequestMetricsMiddleware",
    "designmall.core.requestid.RequestIdMiddleware",
    "designmall.core.proxy.ForwardedClientMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "designmall.core.apitokens.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "designmall.core.apitokens.SessionMiddleware",
    "designmall.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "designmall.core.apitokens.AuthenticationMiddleware",
    "designmall.core.apitokens.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "designmall.storefront.middleware.TooManyRequestsPageMiddleware",
    # Last: its process_view runs the replica-read views after every other middleware's.
    "designmall.core.replica.ReplicaReadsMiddleware",
]

# Addresses of our own proxies (nginx in front of the nodes): their X-Forwarded-For names
# the client (core/proxy.py). Empty: REMOTE_ADDR is the client.
TRUSTED_PROXIES = [a.strip() for a in os.environ.get("TRUSTED_PROXIES", "").split(",") if a.strip()]

# Who may read /metrics (core/metrics.py): these addresses or networks, or a request
# with "Authorization: Bearer $METRICS_TOKEN" (when set). Anyone else gets a 404.
_metrics_ips = os.environ.get("METRICS_ALLOWED_IPS", "127.0.0.1,::1")
METRICS_ALLOWED_IPS = [a.strip() for a in _metrics_ips.split(",") if a.strip()]
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

ROOT_URLCONF = "designmall.urls"
WSGI_APPLICATION = "designmall.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "designmall.storefront.context.storefront",
            ],
        },
    }
]

# --- database -------------------------------------------------------------
DEFAULT_SQLITE = VAR_DIR / "designmall.sqlite3"
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE}"
# No health check per request: it is a "SELECT 1" round trip before the first statement of
# every request, as much as a cached product page's one statement. A connection the server
# dropped fails that request and is closed at its end (Django checks after errors).
_default_db = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=False)
if _default_db["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _default_db["CONN_MAX_AGE"] = 0
    _default_db["OPTIONS"] = {
        # Writers queue on BEGIN IMMEDIATE instead of failing on lock upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
            "PRAGMA cache_size=-32000;"
        ),
    }
    _default_db["TEST"] = {
        "NAME": os.environ.get("TEST_DATABASE_NAME") or str(VAR_DIR / "test.sqlite3")
    }
else:
    # The catalog and the hot rows live in memory or on SSD, where a random page read costs
    # about as much as a sequential one; with PostgreSQL's default (4) the planner reads a
    # whole table where the search index would touch a sixth of it.
    _default_db.setdefault("OPTIONS", {})
    # DATABASE_PGBOUNCER=true: DATABASE_URL is PgBouncer in transaction mode (deploy/README.md),
    # where a server connection serves a client only for one transaction: no server-side
    # cursors (they outlive it), no "options" startup parameter (PgBouncer refuses it: set
    # random_page_cost on the database instead), and no pool of our own. Prepared statements
    # are already off: Django passes psycopg prepare_threshold=None unless told otherwise.
    _pgbouncer = os.environ.get("DATABASE_PGBOUNCER", "").lower() in ("1", "true", "yes")
    if _pgbouncer:
        _default_db["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        _default_db["OPTIONS"].setdefault(
            "options",
            "-c random_page_cost=" + os.environ.get("POSTGRES_RANDOM_PAGE_COST", "1.1"),
        )
    # DATABASE_POOL_SIZE=N: each web or worker process shares at most N connections among
    # its threads (psycopg's pool through Django's "pool" option) instead of one per thread,
    # so nodes x processes x threads cannot use up PostgreSQL's max_connections.
    _pool_size = int(os.environ.get("DATABASE_POOL_SIZE", "0") or 0)
    if _pool_size > 0 and _pgbouncer:
        raise ImproperlyConfigured("DATABASE_POOL_SIZE and DATABASE_PGBOUNCER: choose one")
    if _pool_size > 0:
        _default_db["CONN_MAX_AGE"] = 0  # the pool keeps the connections
        _default_db["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": _pool_size,
            "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "10")),
        }
    _default_db.setdefault("TEST", {})
    if os.environ.get("TEST_DATABASE_NAME"):
        _default_db["TEST"]["NAME"] = os.environ["TEST_DATABASE_NAME"]
DATABASES = {"default": _default_db}

# A PostgreSQL read replica for catalog, search and page reads (core/replica.py): the views
# named below read from it, every write and every other read from the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
REPLICA_STICKY_SECONDS = int(os.environ.get("REPLICA_STICKY_SECONDS", "5"))
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "2"))
REPLICA_CHECK_SECONDS = float(os.environ.get("REPLICA_CHECK_SECONDS", "2"))
REPLICA_READ_VIEWS = [
    # storefront pages
    *("home", "search", "category", "product", "designer", "shop"),
    # the catalog's API reads
    *("product_list", "product_detail", "category_list", "designer_list", "designer_detail"),
    "shop_detail",
]
DATABASE_ROUTERS = []
if DATABASE_REPLICA_URL:
    _replica_db = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True
    )
    _replica_db["OPTIONS"] = dict(_default_db.get("OPTIONS", {}))
    _replica_db["DISABLE_SERVER_SIDE_CURSORS"] = _default_db.get(
        "DISABLE_SERVER_SIDE_CURSORS", False
    )
    if "pool" in _replica_db["OPTIONS"]:
        _replica_db["CONN_MAX_AGE"] = 0
    _replica_db["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica_db
    DATABASE_ROUTERS = ["designmall.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache: Redis when configured, else the database (shared by processes) --
REDIS_URL = os.environ.get("REDIS_URL", "")
# After Redis fails, a process leaves it alone this long before trying again (core/rediscache).
REDIS_RETRY_SECONDS = float(os.environ.get("REDIS_RETRY_SECONDS", "2"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "designmall.core.rediscache.KeptClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_PREFIX", "designmall"),
            # A Redis that is away costs a request at most this long once per retry period.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "core_cache",
            "KEY_PREFIX": os.environ.get("CACHE_PREFIX", "designmall"),
            # Room for every cached page of a big catalog: past the limit each write
            # deletes a third of the table.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# --- accounts ---------------------------------------------------------------
# API token lookups kept in the cache this long (0: read from the database each request).
# On only where the cache is Redis: the database cache would cost a read as the lookup does.
# Dropped when a token is revoked or its user saved (accounts.services.api_tokens_forget).
API_TOKEN_CACHE_SECONDS = int(os.environ.get("API_TOKEN_CACHE_SECONDS", "60" if REDIS_URL else "0"))
# Sessions read from the cache and written through to the database (kept across a cache
# flush): on where the cache is Redis; with the database cache it would read twice.
SESSION_ENGINE = "django.contrib.sessions.backends." + ("cached_db" if REDIS_URL else "db")
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["designmall.accounts.backends.EmailOrMobileBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "storefront:login"
LOGIN_REDIRECT_URL = "storefront:home"
LOGOUT_REDIRECT_URL = "storefront:home"
# Login throttling (accounts.login): failures per account and address, per address and
# per account are free up to these counts; beyond, each try waits after the last failure
# BASE, 2 x BASE, 4 x BASE ... up to MAX seconds. Counts are forgotten after FORGET seconds
# without a failure. A device that signed in before (KNOWN_DEVICE_DAYS) only waits for
# its own failures.
LOGIN_THROTTLE_FREE_FAILURES = int(os.environ.get("LOGIN_THROTTLE_FREE_FAILURES", "3"))
LOGIN_THROTTLE_ADDRESS_FREE_FAILURES = int(
    os.environ.get("LOGIN_THROTTLE_ADDRESS_FREE_FAILURES", "30")
)
LOGIN_THROTTLE_ACCOUNT_FREE_FAILURES = int(
    os.environ.get("LOGIN_THROTTLE_ACCOUNT_FREE_FAILURES", "100")
)
LOGIN_THROTTLE_BASE_DELAY_SECONDS = int(os.environ.get("LOGIN_THROTTLE_BASE_DELAY_SECONDS", "1"))
LOGIN_THROTTLE_MAX_DELAY_SECONDS = int(os.environ.get("LOGIN_THROTTLE_MAX_DELAY_SECONDS", "300"))
LOGIN_THROTTLE_FORGET_SECONDS = int(os.environ.get("LOGIN_THROTTLE_FORGET_SECONDS", "86400"))
LOGIN_KNOWN_DEVICE_DAYS = int(os.environ.get("LOGIN_KNOWN_DEVICE_DAYS", "180"))
LOGIN_KNOWN_DEVICE_COOKIE = "dm_device"
# Password reset links work once, for this long (Django's setting; seconds).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", "3600"))
# An email change's confirmation link (mailed to the new address) works once, this long.
EMAIL_CHANGE_TIMEOUT = int(os.environ.get("EMAIL_CHANGE_TIMEOUT", "3600"))
# Password reset emails sent to one address per hour at most; more requests get the same
# answer and no email (so nobody can flood someone's inbox, nor learn who is registered).
PASSWORD_RESET_EMAILS_PER_HOUR = int(os.environ.get("PASSWORD_RESET_EMAILS_PER_HOUR", "3"))

# --- email ------------------------------------------------------------------------
# With EMAIL_HOST set, mail goes out by SMTP; without it (the embedded tier) each message
# is written as a file under var/mail/, so the demo's reset links can be read offline.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", VAR_DIR / "mail"))
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_SSL = _env_bool("EMAIL_USE_SSL", False)
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Design Mall 设计周 <no-reply@designmall.local>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Product, designer, shop and home pages rendered for visitors without a session are
# kept this long in the cache (0: never); a product's page is dropped when it changes.
STOREFRONT_PAGE_CACHE_SECONDS = int(os.environ.get("STOREFRONT_PAGE_CACHE_SECONDS", "30"))
# A product page's catalog data (product, SKUs, images, "more from this shop") and the
# parts rendered from it are kept this long for every visitor (0: never); dropped on change.
STOREFRONT_PRODUCT_DATA_SECONDS = int(os.environ.get("STOREFRONT_PRODUCT_DATA_SECONDS", "300"))

# --- i18n -----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- static and media -------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise warns about a missing root; the demo serves from app finders anyway.
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Where media_mend moves stored files that are not valid images (outside MEDIA_ROOT: never served).
MEDIA_QUARANTINE_ROOT = Path(os.environ.get("MEDIA_QUARANTINE_ROOT", VAR_DIR / "media-quarantine"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Uploaded images (core.images): bytes read, and pixels decoded (width × height).
MAX_IMAGE_BYTES = int(os.environ.get("MAX_IMAGE_BYTES", str(5 * 1024 * 1024)))
IMAGE_MAX_PIXELS = int(os.environ.get("IMAGE_MAX_PIXELS", "40000000"))

# --- HTTP security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Served over HTTPS (behind a proxy that terminates TLS and says so in X-Forwarded-Proto):
# cookies only over HTTPS, plain http redirected, and browsers told to come back on HTTPS
# only (HSTS) for a year. The health check answers on plain http for load balancers.
HTTPS = not DEBUG and _env_bool("HTTPS", False)
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    # Asking to be on the browsers' preload list is the domain owner's decision (it is hard
    # to undo), so it is off unless asked for, and `check --deploy` is not told otherwise.
    SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy on every response (django-csp). Scripts and styles come from our
# own origin only: no inline script runs, an inline <style> element needs the request's
# nonce (``nonce="{{ request.csp_nonce }}"``; never on a page the page cache keeps, whose
# nonce would be another request's). Style attributes stay allowed (``style-src-attr``):
# pages colour placeholders from data (``style="--h: 120"``) and CSS cannot run code.
# Forms may post to the payment gateway (the checkout redirects there).
_gateway_origin = "/".join(
    os.environ.get("ALIPAY_GATEWAY_URL", "https://openapi.alipay.com/gateway.do").split("/")[:3]
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "style-src-elem": ["'self'", NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "media-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", _gateway_origin],
    }
}

# --- the design week ------------------------------------------------------------
# The show's dates and theme, shown on the home page. Without DESIGN_WEEK_START (an ISO
# date) the week is the one stored when the demo data was built, around that day
# (events.week).
DESIGN_WEEK_START = os.environ.get("DESIGN_WEEK_START", "")
DESIGN_WEEK_DAYS = int(os.environ.get("DESIGN_WEEK_DAYS", "10"))
DESIGN_WEEK_THEME_ZH = os.environ.get("DESIGN_WEEK_THEME_ZH", "日常的未来")
DESIGN_WEEK_THEME_EN = os.environ.get("DESIGN_WEEK_THEME_EN", "The Future of Everyday")

# --- orders -----------------------------------------------------------------------
# Quantity limits of a cart and of one checkout.
ORDER_MAX_QTY_PER_SKU = int(os.environ.get("ORDER_MAX_QTY_PER_SKU", "20"))
ORDER_MAX_LINES = int(os.environ.get("ORDER_MAX_LINES", "50"))
ORDER_MAX_QTY = int(os.environ.get("ORDER_MAX_QTY", "200"))
# Shipping per shop order delivered to an address, free from the given goods total.
ORDER_SHIPPING_FEE_FEN = int(os.environ.get("ORDER_SHIPPING_FEE_FEN", "1500"))
ORDER_FREE_SHIPPING_FROM_FEN = int(os.environ.get("ORDER_FREE_SHIPPING_FROM_FEN", "29900"))
# A shipped order counts as received this many days after shipping.
ORDER_AUTO_CONFIRM_DAYS = int(os.environ.get("ORDER_AUTO_CONFIRM_DAYS", "10"))
# After-sales (售后): a buyer may ask within this many days of receipt (an order not yet
# shipped: any time before shipping); a request its seller leaves unanswered this many days
# is accepted automatically.
AFTERSALES_WINDOW_DAYS = int(os.environ.get("AFTERSALES_WINDOW_DAYS", "15"))
AFTERSALES_SELLER_REPLY_DAYS = int(os.environ.get("AFTERSALES_SELLER_REPLY_DAYS", "3"))
# Unpaid checkouts one buyer may hold at once, and the units held in them (0: no cap).
ORDER_MAX_UNPAID_CHECKOUTS = int(os.environ.get("ORDER_MAX_UNPAID_CHECKOUTS", "5"))
ORDER_MAX_UNPAID_UNITS = int(os.environ.get("ORDER_MAX_UNPAID_UNITS", "200"))
# How long a checkout's Idempotency-Key is remembered (at least 24 hours).
IDEMPOTENCY_KEY_HOURS = max(24, int(os.environ.get("IDEMPOTENCY_KEY_HOURS", "24")))

# --- inventory ------------------------------------------------------------------
# How long a checkout's stock hold lasts; then it may be released.
STOCK_HOLD_MINUTES = int(os.environ.get("STOCK_HOLD_MINUTES", "15"))

# --- the show (o2o) ---------------------------------------------------------------
# The show (o2o): an order is attributed to the shop's booth the buyer scanned last within
# this many days (last touch); the anonymous visitor's first-party cookie.
O2O_ATTRIBUTION_DAYS = int(os.environ.get("O2O_ATTRIBUTION_DAYS", "7"))
O2O_VISITOR_COOKIE = "dm_vid"
# 核销: a redemption may be reversed (冲正) this many minutes after it; a booth pickup order
# is settled (escrow released) once its last redemption is past this window.
O2O_REDEMPTION_REVERSAL_MINUTES = int(os.environ.get("O2O_REDEMPTION_REVERSAL_MINUTES", "30"))

# --- events -----------------------------------------------------------------------
# How long a priced reservation holds its seats for payment; then they are released.
EVENT_HOLD_MINUTES = int(os.environ.get("EVENT_HOLD_MINUTES", "15"))
# How long a waiting-list offer holds its seats for the visitor to claim them.
WAITLIST_OFFER_HOURS = int(os.environ.get("WAITLIST_OFFER_HOURS", "2"))
# Tickets open the door from this many minutes before their session starts.
EVENT_DOORS_OPEN_MINUTES = int(os.environ.get("EVENT_DOORS_OPEN_MINUTES", "60"))

# --- auctions ---------------------------------------------------------------------
# A winner has this long after the lot closes to pay; then the deposit is forfeited.
AUCTION_WINNER_PAYMENT_HOURS = int(os.environ.get("AUCTION_WINNER_PAYMENT_HOURS", "48"))
# How long the runner-up has to take up (pay) a second-chance offer.
AUCTION_SECOND_CHANCE_HOURS = int(os.environ.get("AUCTION_SECOND_CHANCE_HOURS", "24"))
# The default soft close of a new lot: a bid this close to the end extends it this much.
AUCTION_SOFT_CLOSE_MINUTES = int(os.environ.get("AUCTION_SOFT_CLOSE_MINUTES", "5"))
# Live lot pages: server-sent-event streams one web process holds open at once. Each holds
# one of its WEB_THREADS threads, so keep some for everything else; pages beyond it poll.
WEB_THREADS = int(os.environ.get("WEB_THREADS") or 16)
# Requests of one web process running the site's code at once; the others wait their turn
# without contending for the interpreter lock (core.gate). 0: no limit.
WEB_ACTIVE_REQUESTS = int(os.environ.get("WEB_ACTIVE_REQUESTS") or 4)
AUCTION_STREAMS_PER_PROCESS = int(
    os.environ.get("AUCTION_STREAMS_PER_PROCESS") or max(1, WEB_THREADS - 4)
)
# Demo bidders bid now and then on live lots (the worker's task); on only in `designmall demo`.
DEMO_SIMULATED_BIDDERS = _env_bool("DEMO_SIMULATED_BIDDERS", False)

# --- rate limits (core.ratelimit) --------------------------------------------------
# "N/S": N requests in S seconds per signed-in user and per client address ("0": none).
# Each is also an environment variable, e.g. RATE_LIMIT_CHECKOUT_USER=10/60. The per-address
# limits are loose: many visitors share the venue's Wi-Fi address.
RATE_LIMITS_ENABLED = _env_bool("RATE_LIMITS_ENABLED", True)
_RATE_LIMIT_DEFAULTS = {
    # scope: (per user, per address)
    "checkout": ("20/60", "300/60"),
    "reservation": ("20/60", "300/60"),
    "bid": ("60/60", "600/60"),
    "register": ("0", "100/3600"),
    "login": ("0", "120/60"),  # token requests and the login page, devices not known
    # A flash deal's "buy" while units last (sold-out answers given before Django, by
    # api.deal_front, are not counted); a venue's Wi-Fi puts many buyers on one address.
    "deal_buy": ("20/60", "1200/60"),
}
RATE_LIMITS = {
    scope: {
        "user": os.environ.get(f"RATE_LIMIT_{scope.upper()}_USER", per_user),
        "address": os.environ.get(f"RATE_LIMIT_{scope.upper()}_ADDRESS", per_address),
    }
    for scope, (per_user, per_address) in _RATE_LIMIT_DEFAULTS.items()
}
# --- pre-sale ---------------------------------------------------------------------
# How long a deposit pre-order holds its unit for the deposit's payment (never beyond the
# deposit window's end); then the unit goes back to the campaign.
PRESALE_DEPOSIT_HOLD_MINUTES = int(os.environ.get("PRESALE_DEPOSIT_HOLD_MINUTES", "30"))

# --- flash deals (promotions.deals) -----------------------------------------------
# How long an unpaid deal order holds its unit; then it goes back to the deal (or, after
# the deal's end, to ordinary stock).
DEAL_HOLD_MINUTES = int(os.environ.get("DEAL_HOLD_MINUTES", "5"))
# Admission runs in Redis when there is one (the database's conditional update otherwise).
DEAL_REDIS_URL = os.environ.get("DEAL_REDIS_URL", REDIS_URL)
DEAL_REDIS_PREFIX = os.environ.get(
    "DEAL_REDIS_PREFIX", os.environ.get("CACHE_PREFIX", "designmall")
)
# An admission in Redis whose order is not in the database after this long is written by
# the reconciler from its kept request (or voided, its unit back on sale, without one).
DEAL_ADMISSION_GRACE_SECONDS = int(os.environ.get("DEAL_ADMISSION_GRACE_SECONDS", "60"))
# On the Redis path a buy is answered at admission and its order written right after by a
# writer thread of the web process (promotions.deal_writer); false: left to the reconciler.
DEAL_WRITER_THREAD = os.environ.get("DEAL_WRITER_THREAD", "true").lower() in {"1", "true", "yes"}

# --- the worker -------------------------------------------------------------------
WORKER_POLL_SECONDS = float(os.environ.get("WORKER_POLL_SECONDS", "1"))
# A claimed job stays claimed this long (longer than any handler may take); a worker killed
# mid-job leaves it to run again when this runs out.
JOB_LEASE_SECONDS = int(os.environ.get("JOB_LEASE_SECONDS", "300"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "designmall.core.requestid.JsonFormatter"},
    },
    "filters": {"request_id": {"()": "designmall.core.requestid.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            # LOG_FORMAT=json: one JSON object per line, for a log collector.
            "formatter": "json" if os.environ.get("LOG_FORMAT") == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "designmall": {"level": os.environ.get("LOG_LEVEL", "INFO")},
        # A 4xx is a refusal the client is told about (sold out, bad input), not a problem
        # of ours: logging each one costs a flash sale more than some of its queries.
        "django.request": {"level": os.environ.get("REQUEST_LOG_LEVEL", "ERROR")},
    },
}

# --- payments ---------------------------------------------------------------------
# The site's public address: gateways send buyers and notifications back to it.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/") or (
    f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
)
# "sandbox" (the embedded default: a local cashier, no real money) or "alipay".
PAYMENTS_GATEWAY = os.environ.get("PAYMENTS_GATEWAY", "sandbox")
# The sandbox takes "payments" for free: off wherever real Alipay is the gateway. In
# production (HTTPS=true, DEBUG=false) anyone who knows a trade number could "pay" it, so
# there it stays off unless PAYMENTS_SANDBOX_IN_PRODUCTION=true says it is meant (a staging
# site), and `designmall serve` refuses to start a site that would need it.
PAYMENTS_SANDBOX_IN_PRODUCTION = _env_bool("PAYMENTS_SANDBOX_IN_PRODUCTION", False)
_sandbox_wanted = _env_bool("PAYMENTS_SANDBOX_ENABLED", PAYMENTS_GATEWAY == "sandbox")
_sandbox_used = _sandbox_wanted or PAYMENTS_GATEWAY == "sandbox"
PAYMENTS_SANDBOX_REFUSED = _sandbox_used and HTTPS and not PAYMENTS_SANDBOX_IN_PRODUCTION
PAYMENTS_SANDBOX_ENABLED = _sandbox_wanted and not PAYMENTS_SANDBOX_REFUSED
# The sandbox's RSA key pairs, generated on first use and shared by every process.
PAYMENTS_SANDBOX_KEY_DIR = Path(
    os.environ.get("PAYMENTS_SANDBOX_KEY_DIR", VAR_DIR / "payments-sandbox")
)
# How long a buyer has to pay; then the trade is closed.
PAYMENT_TIMEOUT_MINUTES = int(os.environ.get("PAYMENT_TIMEOUT_MINUTES", "15"))
# A payment still pending this long is looked up at the gateway (a notify may be lost).
PAYMENT_RECONCILE_AFTER_MINUTES = int(os.environ.get("PAYMENT_RECONCILE_AFTER_MINUTES", "5"))
# Yesterday's gateway bills are reconciled from this hour (Beijing time): Alipay's are ready by 9.
BILL_RECONCILE_HOUR = int(os.environ.get("BILL_RECONCILE_HOUR", "10"))
ALIPAY_APP_ID = os.environ.get("ALIPAY_APP_ID", "")
ALIPAY_APP_PRIVATE_KEY_PATH = os.environ.get("ALIPAY_APP_PRIVATE_KEY_PATH", "")
ALIPAY_PUBLIC_KEY_PATH = os.environ.get("ALIPAY_PUBLIC_KEY_PATH", "")
# Certificate mode (required by Alipay for fund transfers, i.e. seller payouts): the app's
# public-key certificate, Alipay's public-key certificate and Alipay's root certificates.
ALIPAY_APP_CERT_PATH = os.environ.get("ALIPAY_APP_CERT_PATH", "")
ALIPAY_PUBLIC_CERT_PATH = os.environ.get("ALIPAY_PUBLIC_CERT_PATH", "")
ALIPAY_ROOT_CERT_PATH = os.environ.get("ALIPAY_ROOT_CERT_PATH", "")
ALIPAY_GATEWAY_URL = os.environ.get("ALIPAY_GATEWAY_URL", "https://openapi.alipay.com/gateway.do")
ALIPAY_SELLER_ID = os.environ.get("ALIPAY_SELLER_ID", "")
ALIPAY_NOTIFY_URL = os.environ.get("ALIPAY_NOTIFY_URL", f"{SITE_URL}/payments/alipay/notify")
ALIPAY_RETURN_URL = os.environ.get("ALIPAY_RETURN_URL", f"{SITE_URL}/payments/return/")
ALIPAY_TIMEOUT_SECONDS = float(os.environ.get("ALIPAY_TIMEOUT_SECONDS", "10"))

# --- seller payouts ----------------------------------------------------------------
# A payout of this many fen or more needs a second, different finance user's approval
# (default ¥5,000.00).
PAYOUT_SECOND_APPROVAL_FROM_FEN = int(os.environ.get("PAYOUT_SECOND_APPROVAL_FROM_FEN", "500000"))
