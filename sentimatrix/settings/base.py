"""Settings every environment shares (development, tests, production import them).

Every value that differs between machines comes from the environment; the README has the
table of variables. Loading these settings has no effect beyond reading the environment (and,
in development, the generated keys): no server is started, no file or folder is written, no
exit hook is registered. ``manage.py`` provides what is missing before they load
(:mod:`sentimatrix.startup`).
"""

from typing import Any
from urllib.parse import urlsplit

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from sentimatrix import paths
from sentimatrix.crypto import parse_keys
from sentimatrix.embedded_db import EMBEDDED_FLAG, with_database
from sentimatrix.env import env_bool, env_int, env_list, env_str

BASE_DIR = paths.BASE_DIR
VAR_DIR = paths.var_dir()
SHARED_DATA_DIR = paths.shared_data_dir()

DEBUG = env_bool("DJANGO_DEBUG", False)


def valid_key_spec(spec: str) -> str:
    """``spec`` once it parses as SENTIMATRIX_ENCRYPTION_KEYS: a malformed key stops the start."""
    if spec:
        parse_keys(spec)
    return spec


def require_secrets(secret_key: str, encryption_keys: str) -> None:
    """Refuse to start without the keys that must never be generated outside development."""
    for name, value in (("DJANGO_SECRET_KEY", secret_key), ("SENTIMATRIX_ENCRYPTION_KEYS", encryption_keys)):
        if not value:
            raise ImproperlyConfigured(f"{name} must be set when DJANGO_DEBUG is off.")


SECRET_KEY = env_str("DJANGO_SECRET_KEY")
ENCRYPTION_KEYS = valid_key_spec(env_str("SENTIMATRIX_ENCRYPTION_KEYS"))
# backup_db encrypts whole archives (AES-256-GCM) under the first of these ``id:base64key``
# entries; restore_db opens archives of any of them. A key of its own, kept apart from the
# archives, so one stolen file or one key alone opens nothing (sentimatrix/backup/encryption.py).
BACKUP_ENCRYPTION_KEYS = env_str("BACKUP_ENCRYPTION_KEYS")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Where the plans page sends a user who wants another plan (a checkout or contact page, or a
# mailto: link). Empty: a mail to this installation's administrator, who changes plans in the admin.
PLAN_UPGRADE_URL = env_str("PLAN_UPGRADE_URL")
# How the product names itself in emails ("register an account on Sentimatrix Studio"); the
# domain defaults to SITE_URL's host. allauth would otherwise take both from the request's host.
SITE_NAME = env_str("SITE_NAME", "Sentimatrix Studio")
SITE_DOMAIN = env_str("SITE_DOMAIN") or urlsplit(SITE_URL).netloc

INSTALLED_APPS = [
    "sentimatrix.apps.MongoAdminConfig",
    "sentimatrix.apps.MongoAuthConfig",
    "sentimatrix.apps.MongoContentTypesConfig",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_mongodb_backend",
    "django_htmx",
    "allauth",
    "sentimatrix.apps.MongoAccountConfig",
    "sentimatrix.apps.MongoSocialAccountConfig",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.github",
    "sentimatrix.apps.MongoBeatConfig",
    "sentimatrix.apps.SentimatrixConfig",
    "accounts",
    "projects",
    "scraping",
    "analysis",
    "notifications",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sentimatrix.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "sentimatrix.not_found.NotFoundPageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "sentimatrix.urls"
WSGI_APPLICATION = "sentimatrix.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.alerts.context.unread_alerts",
            ],
            # Every page writes dates one way ({{ value|when }}, |day, |ago) without a load tag.
            "builtins": ["sentimatrix.templatetags.when"],
        },
    },
]

# --- Database -----------------------------------------------------------------
MONGODB_NAME = env_str("MONGODB_NAME", "sentimatrix_studio")
# Unset, manage.py (and the test session) start the embedded server and put its address here
# before the settings load. A process started otherwise without it (a REPL, a type checker)
# gets a local MongoDB's address and fails at its first query if none listens there.
MONGODB_URI = env_str("MONGODB_URI") or "mongodb://127.0.0.1:27017/?directConnection=true"
USING_EMBEDDED_DB = env_bool(EMBEDDED_FLAG, False)

DATABASES = {
    "default": {
        "ENGINE": "django_mongodb_backend",
        "HOST": MONGODB_URI,
        "NAME": MONGODB_NAME,
        "TEST": {"NAME": env_str("MONGODB_TEST_NAME", f"test_{MONGODB_NAME}")},
    },
}
DATABASE_ROUTERS = ["django_mongodb_backend.routers.MongoRouter"]
DEFAULT_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
MIGRATION_MODULES = {
    "admin": "sentimatrix.mongo_migrations.admin",
    "auth": "sentimatrix.mongo_migrations.auth",
    "contenttypes": "sentimatrix.mongo_migrations.contenttypes",
    "account": "sentimatrix.mongo_migrations.account",
    "socialaccount": "sentimatrix.mongo_migrations.socialaccount",
    "django_celery_beat": "sentimatrix.mongo_migrations.django_celery_beat",
}

AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-us"
# Django's own date output (the admin, a date left to {{ value }}) in the product's format.
FORMAT_MODULE_PATH = ["sentimatrix.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Created by collectstatic (runstack and the image run it), not by loading the settings.
STATIC_ROOT = VAR_DIR / "staticfiles"
# Front-end libraries come from npm at set-up (`make` runs `npm ci`); never committed.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/pico", NODE_MODULES / "@picocss" / "pico" / "css"),
]
# One storage in development and production: collectstatic always writes hashed, compressed
# files and their manifest, so a production process can start on what `make run` collected.
# With DEBUG on, pages link the unhashed names, served from the finders (no collecting needed
# while editing); the test settings link unhashed names and collect nothing. A production
# process refuses to start on files without a complete manifest (sentimatrix/checks.py, run by
# wsgi.py).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# --- Sign-in (django-allauth) ----------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Without the sites framework allauth would name the product after the request's host.
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# Stored confirmations: the HMAC variant signs the address's ObjectId, which
# Django's JSON signer cannot serialise.
ACCOUNT_EMAIL_CONFIRMATION_HMAC = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
# Failed sign-ins are limited per IP and per account; entries expire by themselves.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("LOGIN_FAILED_RATE_LIMIT", "10/5m/ip,5/5m/key"),
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}
# Reverse proxies in front of the application that append to X-Forwarded-For. 0: the header
# is the client's own claim and is ignored. allauth's own setting; sentimatrix.security's
# client_ip reads it for every other use of the client's address.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if ALLAUTH_TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
# Social sign-in never logs into an existing account because the email matches:
# the owner must connect the provider while signed in.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "mandatory"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    provider: {"APPS": [{"client_id": env_str(f"{prefix}_CLIENT_ID"), "secret": env_str(f"{prefix}_SECRET")}]}
    for provider, prefix in (("google", "GOOGLE"), ("github", "GITHUB"))
    if env_str(f"{prefix}_CLIENT_ID") and env_str(f"{prefix}_SECRET")
}

# --- Cache (shared by every process: rate limits and lockouts hold across them) ---
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL.startswith(("redis://", "rediss://"))
        else {"BACKEND": "sentimatrix.cache.MongoCache", "LOCATION": "django_cache"}
    )
}


# --- Security -------------------------------------------------------------------
def web_security(relaxed: bool) -> dict[str, Any]:
    """The settings development (debug on) and the test suite relax and production keeps strict;
    the variables read here override either default."""
    return {
        "ALLOWED_HOSTS": env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if relaxed else ""),
        "SECURE_SSL_REDIRECT": env_bool("DJANGO_SECURE_SSL_REDIRECT", not relaxed),
        "SESSION_COOKIE_SECURE": not relaxed,
        "CSRF_COOKIE_SECURE": not relaxed,
        "SECURE_HSTS_SECONDS": env_int("DJANGO_HSTS_SECONDS", 0 if relaxed else 31536000),
        # Static files found in the apps' folders as they are edited, without collecting.
        "WHITENOISE_USE_FINDERS": relaxed,
    }


# ALLOWED_HOSTS, SECURE_SSL_REDIRECT, SESSION_COOKIE_SECURE, CSRF_COOKIE_SECURE,
# SECURE_HSTS_SECONDS and WHITENOISE_USE_FINDERS; the test settings apply them relaxed.
globals().update(web_security(relaxed=DEBUG))
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy of every response (sentimatrix.security.SecurityHeadersMiddleware):
# scripts and styles come from this site only, never inline (templates have none; htmx's
# indicator styles are turned off in base.html); Pico draws form controls with data: SVGs.
# A social sign-in form posts here and is redirected to the provider, which form-action
# must allow.
_OAUTH_ORIGINS = {"google": "https://accounts.google.com", "github": "https://github.com"}
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'", *(_OAUTH_ORIGINS[name] for name in SOCIALACCOUNT_PROVIDERS)],
}
# Answers under these paths (and any to a signed-in user or an Authorization header) are
# sent with Cache-Control: private, no-store.
PRIVATE_PATH_PREFIXES = ["/api/"]


# --- Celery ----------------------------------------------------------------------
def celery_store_url(variable: str, database: str) -> str:
    """The broker's or the result backend's address: ``variable`` when set, otherwise the
    ``database`` of the MongoDB server the application uses."""
    return env_str(variable) or with_database(MONGODB_URI, database)


# The test settings send tasks to the test database instead, where their workers listen.
CELERY_BROKER_URL = celery_store_url("CELERY_BROKER_URL", MONGODB_NAME)
CELERY_RESULT_BACKEND = celery_store_url("CELERY_RESULT_BACKEND", MONGODB_NAME)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 15 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 20 * 60)
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_DEFAULT_QUEUE = "scrape"
CELERY_TASK_ROUTES = {
    "analysis.*": {"queue": "analysis"},
    "webhooks.*": {"queue": "webhooks"},
    # Alert evaluation and delivery go with the webhooks: small, frequent, and slow receivers
    # never hold up scrapes or analysis.
    "notifications.*": {"queue": "webhooks"},
}
CELERY_BEAT_SCHEDULE = {
    "reap-stale-scrape-targets": {
        "task": "scraping.reap_stale_targets",
        "schedule": float(env_int("SCRAPE_REAPER_INTERVAL_SECONDS", 30)),
    },
}
CELERY_WORKER_QUEUES = env_str("CELERY_WORKER_QUEUES", "scrape,analysis,webhooks,default")
# kombu's MongoDB transport has no event loop, so a prefork worker on it feeds its pool
# processes through one pipe guarded by one shared lock; a pool process killed while it holds
# that lock (as the OOM killer does) leaves every other one waiting for it forever. On that
# broker each worker is a single process (solo pool) and runstack starts as many as the
# concurrency asks; on Redis or RabbitMQ each pool process has its own pipe and prefork is safe.
CELERY_WORKER_POOL = env_str("CELERY_WORKER_POOL") or (
    "solo" if CELERY_BROKER_URL.startswith("mongodb") else "prefork"
)
# runstack sends each worker a probe task this often; one unanswered this long, while the
# worker runs no task younger than CELERY_TASK_TIME_LIMIT, gets the worker restarted.
WORKER_PROBE_INTERVAL_SECONDS = env_int("WORKER_PROBE_INTERVAL_SECONDS", 30)
WORKER_STALL_SECONDS = env_int("WORKER_STALL_SECONDS", 120)

# --- Email ------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Sentimatrix Studio <no-reply@localhost>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Collectors ---------------------------------------------------------------------
# Base URLs are settings so tests (and proxies) can point collectors elsewhere.
PLATFORM_BASE_URLS = {
    "steam": env_str("STEAM_BASE_URL", "https://store.steampowered.com"),
    "reddit": env_str("REDDIT_BASE_URL", "https://www.reddit.com"),
    "reddit_oauth": env_str("REDDIT_OAUTH_BASE_URL", "https://oauth.reddit.com"),
    "reddit_auth": env_str("REDDIT_AUTH_BASE_URL", "https://www.reddit.com"),
    "youtube": env_str("YOUTUBE_BASE_URL", "https://www.googleapis.com/youtube/v3"),
    "google": env_str("GOOGLE_PLACES_BASE_URL", "https://maps.googleapis.com/maps/api/place"),
    "amazon": env_str("AMAZON_BASE_URL", "https://www.amazon.{tld}"),
    "scraperapi": env_str("SCRAPERAPI_BASE_URL", "https://api.scraperapi.com"),
    "apify": env_str("APIFY_BASE_URL", "https://api.apify.com/v2"),
    "appstore": env_str("APPSTORE_BASE_URL", "https://itunes.apple.com"),
    "hackernews": env_str("HACKERNEWS_BASE_URL", "https://hn.algolia.com/api/v1"),
    "trustpilot": env_str("TRUSTPILOT_BASE_URL", "https://www.trustpilot.com"),
    "googleplay": env_str("GOOGLE_PLAY_BASE_URL", "https://play.google.com"),
    "bluesky": env_str("BLUESKY_BASE_URL", "https://public.api.bsky.app"),
    # Where a Bluesky app password signs in (and searches) when the public AppView needs an account.
    "bluesky_pds": env_str("BLUESKY_PDS_URL", "https://bsky.social"),
}
# Uploaded review files (CSV/JSON) for file-import targets.
MEDIA_ROOT = VAR_DIR / "uploads"
FILE_IMPORT_MAX_BYTES = env_int("FILE_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# Only tests may fetch generic targets (feeds, web pages) from loopback addresses.
SCRAPING_ALLOW_LOOPBACK = env_bool("SCRAPING_ALLOW_LOOPBACK", False)
SCRAPING_USER_AGENT = env_str(
    "SCRAPING_USER_AGENT", "SentimatrixStudio/0.1 (+https://github.com/sentimatrix; review analytics)"
)
SCRAPING_TIMEOUT = env_int("SCRAPING_TIMEOUT", 20)
SCRAPING_MAX_RESPONSE_BYTES = env_int("SCRAPING_MAX_RESPONSE_BYTES", 10 * 1024 * 1024)
SCRAPING_MAX_RETRIES = env_int("SCRAPING_MAX_RETRIES", 4)

# --- Providers behind the API key vault ----------------------------------------------
# LLM endpoints speak the OpenAI chat-completions protocol except Anthropic's.
PROVIDER_BASE_URLS = {
    "openai": env_str("OPENAI_BASE_URL", "https://api.openai.com/v1"),
    "anthropic": env_str("ANTHROPIC_BASE_URL", "https://api.anthropic.com"),
    "groq": env_str("GROQ_BASE_URL", "https://api.groq.com/openai/v1"),
    "openrouter": env_str("OPENROUTER_BASE_URL", "https://openrouter.ai/api/v1"),
    "ollama": env_str("OLLAMA_BASE_URL", "http://localhost:11434/v1"),
}
# A key's own base URL (OpenAI-compatible, Ollama) must be a public address unless this is
# on: then loopback and private networks pass too (a self-hosted model), link-local and
# cloud metadata addresses never.
LLM_ALLOW_PRIVATE_ENDPOINTS = env_bool("LLM_ALLOW_PRIVATE_ENDPOINTS", False)

# --- Scrape jobs ------------------------------------------------------------------------
# A running target whose heartbeat is older than this lost its worker and is re-queued.
SCRAPE_HEARTBEAT_STALE_SECONDS = env_int("SCRAPE_HEARTBEAT_STALE_SECONDS", 180)
# A queued target untouched this long lost its broker message and is sent again.
SCRAPE_QUEUED_STALE_SECONDS = env_int("SCRAPE_QUEUED_STALE_SECONDS", 600)
SCRAPE_MAX_ATTEMPTS = env_int("SCRAPE_MAX_ATTEMPTS", 3)
ANALYSIS_BATCH_SIZE = env_int("ANALYSIS_BATCH_SIZE", 100)
# A bulk action over "every matching result" larger than this runs on a worker, not in the request.
BULK_BACKGROUND_ABOVE = env_int("BULK_BACKGROUND_ABOVE", 2000)
# A result still unanalysed this long after it was stored or last queued lost its batch (a
# killed worker, a failed task): the sweep, run by beat, queues it again.
ANALYSIS_REQUEUE_AFTER_SECONDS = env_int("ANALYSIS_REQUEUE_AFTER_SECONDS", 15 * 60)
CELERY_BEAT_SCHEDULE["sweep-unanalysed-results"] = {
    "task": "analysis.sweep_unanalysed",
    "schedule": float(env_int("ANALYSIS_SWEEP_INTERVAL_SECONDS", 300)),
}

# --- Webhooks, schedules and email notifications ------------------------------------------
# Webhook URLs must be https unless DEBUG or this switch is on.
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", False)
# Only tests may deliver to loopback addresses (their receivers listen there).
WEBHOOKS_ALLOW_LOOPBACK = env_bool("WEBHOOKS_ALLOW_LOOPBACK", False)
WEBHOOKS_TIMEOUT = env_int("WEBHOOKS_TIMEOUT", 10)
# Attempts per event; between them base x factor^(n-1), +-20% jitter: 90 s, 4.5 min,
# 13.5 min, 40 min (about an hour in all).
WEBHOOKS_MAX_ATTEMPTS = env_int("WEBHOOKS_MAX_ATTEMPTS", 5)
WEBHOOKS_RETRY_BASE_MS = env_int("WEBHOOKS_RETRY_BASE_MS", 90_000)
WEBHOOKS_RETRY_FACTOR = env_int("WEBHOOKS_RETRY_FACTOR", 3)
# A receiver's Retry-After longer than this is cut to it.
WEBHOOKS_MAX_RETRY_AFTER = env_int("WEBHOOKS_MAX_RETRY_AFTER", 3600)
# Consecutive failed deliveries (attempts) after which a webhook is disabled.
WEBHOOKS_DISABLE_AFTER = env_int("WEBHOOKS_DISABLE_AFTER", 5)
# How much of a receiver's answer is read and kept in the delivery log.
WEBHOOKS_RESPONSE_EXCERPT_BYTES = env_int("WEBHOOKS_RESPONSE_EXCERPT_BYTES", 2048)
WEBHOOKS_USER_AGENT = env_str("WEBHOOKS_USER_AGENT", "SentimatrixStudio-Webhooks/0.1")
# The weekly digest email goes out on Mondays at 08:00 UTC.
CELERY_BEAT_SCHEDULE["weekly-digest"] = {
    "task": "projects.weekly_digest",
    "schedule": crontab(minute=0, hour=8, day_of_week=1),
}
# Scheduled reports: every hour beat looks for reports whose local send hour has come.
CELERY_BEAT_SCHEDULE["scheduled-reports"] = {
    "task": "webhooks.queue_scheduled_reports",
    "schedule": crontab(minute=2),
}

# The daily alert digest goes out at this hour of each user's own time zone (beat checks hourly).
ALERT_DIGEST_HOUR = env_int("ALERT_DIGEST_HOUR", 8)
CELERY_BEAT_SCHEDULE["alert-digests"] = {
    "task": "notifications.alert_digests",
    "schedule": crontab(minute=0),
}

# Alert deliveries whose worker died mid-attempt (claim older than CELERY_TASK_TIME_LIMIT plus
# a margin) are sent on, or failed when no attempt is left, by this sweep.
CELERY_BEAT_SCHEDULE["sweep-stalled-alert-deliveries"] = {
    "task": "notifications.sweep_stalled_alert_deliveries",
    "schedule": float(env_int("ALERT_SWEEP_INTERVAL_SECONDS", 300)),
}
# Signed webhook deliveries whose worker died (a claim older than the same lease) or whose
# queued message was lost with a worker: sent on by their own sweep, at the same interval.
CELERY_BEAT_SCHEDULE["sweep-stalled-webhook-deliveries"] = {
    "task": "webhooks.sweep_stalled_deliveries",
    "schedule": CELERY_BEAT_SCHEDULE["sweep-stalled-alert-deliveries"]["schedule"],
}

# Alert rules: the day that just ended is judged again with all its results in, shortly after
# midnight UTC; hour rules the hour that just ended.
CELERY_BEAT_SCHEDULE["alerts-closed-day"] = {
    "task": "notifications.evaluate_closed_alerts",
    "schedule": crontab(minute=15, hour=0),
    "args": ["day"],
}
CELERY_BEAT_SCHEDULE["alerts-closed-hour"] = {
    "task": "notifications.evaluate_closed_alerts",
    "schedule": crontab(minute=5),
    "args": ["hour"],
}

# --- REST API (the api app) ---------------------------------------------------------------
# Requests per minute per token and per user (0: no limit), counted in the shared cache.
API_RATE_LIMITS = {
    "token": env_int("API_RATE_LIMIT_PER_TOKEN", 120),
    "user": env_int("API_RATE_LIMIT_PER_USER", 300),
}
# Request bodies over this size are refused with 413.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.HasScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle", "api.throttling.UserRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sentimatrix Studio API",
    "DESCRIPTION": (
        "Projects, targets, scrape jobs, analysed results, statistics, insights and webhooks. "
        "Authenticate with a personal access token (Settings > Access tokens) sent as "
        "`Authorization: Bearer <token>`. Errors have one shape: "
        '`{"error": {"code", "message", "details"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "PlatformEnum": "projects.platforms.Platform",
        "CollectedPlatformEnum": "api.serializers.projects.COLLECTED_PLATFORMS",
        "ProjectStatusEnum": "projects.models.ProjectStatus",
        "TargetStatusEnum": "projects.models.TargetStatus",
        "JobStatusEnum": "scraping.models.JobStatus",
        "DeliveryStatusEnum": "notifications.models.DeliveryStatus",
        "LastDeliveryStatusEnum": "notifications.models.LastDeliveryStatus",
        "WebhookEventEnum": "notifications.models.WebhookEvent",
        "SubscribableEventEnum": "api.serializers.webhooks.SUBSCRIBABLE_EVENTS",
        "ReportFrequencyEnum": "notifications.models.ReportFrequency",
        "SearchPlatformEnum": "projects.platforms.SEARCH_PLATFORMS",
        "ResultPlatformEnum": "projects.platforms.RESULT_PLATFORMS",
        "AlertKindEnum": "notifications.models.AlertKind",
        "AlertPeriodEnum": "notifications.models.AlertPeriod",
    },
}
