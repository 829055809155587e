"""The one settings module. Every value that differs between machines comes from the environment
(or a `.env` file beside manage.py); `.env.example` and the README list them all.

With no environment at all the project runs locally on a SQLite file and a Celery broker that
needs no server (kombu's filesystem transport), both under var/.
"""

import zoneinfo
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import csp.constants as csp
import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

# --- Core -------------------------------------------------------------------------------------

DEBUG = env.bool("DEBUG", default=False)

# Values that must never protect a real deployment: the example file's, Django's generated
# development keys, and the local-development fallback below.
DEV_SECRET_KEY = "django-insecure-local-development-only-never-use-in-production"
PLACEHOLDER_SECRET_KEYS = {"", "change-me", "changeme", "secret", DEV_SECRET_KEY}

SECRET_KEY_FILE = Path(env.str("SECRET_KEY_FILE", default=str(BASE_DIR / "var" / "secret_key")))


def _machine_secret_key() -> str:
    """With no SECRET_KEY set, a random key made once for this checkout and kept in
    var/secret_key (readable by its owner only; SECRET_KEY_FILE moves it), so that `manage.py`
    works out of the box without a shared, guessable key. Deployments on several hosts must
    set SECRET_KEY: each host would otherwise sign with its own key."""
    import secrets

    try:
        if not SECRET_KEY_FILE.exists():
            SECRET_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
            SECRET_KEY_FILE.touch(mode=0o600)
            SECRET_KEY_FILE.write_text(secrets.token_urlsafe(64))
        return SECRET_KEY_FILE.read_text().strip()
    except OSError:
        return ""


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY and not DEBUG:
    SECRET_KEY = _machine_secret_key()
if not DEBUG and (
    SECRET_KEY in PLACEHOLDER_SECRET_KEYS
    or SECRET_KEY.startswith("django-insecure")
    or len(SECRET_KEY) < 50
):
    raise ImproperlyConfigured(
        "SECRET_KEY is a placeholder or too short (or var/secret_key could not be written). "
        "With DEBUG off, set SECRET_KEY to a random value of at least 50 characters, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`. For local "
        "development set DEBUG=true instead (make run does)."
    )
if not SECRET_KEY:
    SECRET_KEY = DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "backoffice.apps.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    # Ours. `marketplace` is the project package and also holds the catalogue.
    "marketplace",
    "accounts",
    "suppliers",
    "catalogue",
    "orders",
    "logistics",
    "compliance",
    "customs",
    "shipping",
    "returns",
    "scorecards",
    "restock",
    "portal",
    "backoffice",
]

MIDDLEWARE = [
    "marketplace.logging.RequestIdMiddleware",
    # Outside everything else, so that Django's own error pages under /api/ become JSON too.
    "marketplace.middleware.ApiErrorsAsJsonMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the locale, so that its 400 page is in the reader's language.
    "marketplace.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.PortalTimezoneMiddleware",
    "accounts.middleware.OperatorTimezoneMiddleware",
    # Axes must come last: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context.portal_nav",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------

# A deployment names its database; only local development (DEBUG on) falls back to a SQLite
# file. The serving processes refuse to start without one (marketplace/startup.py), so a
# production process that lost its DATABASE_URL stops instead of quietly serving an empty
# database of its own, while code-only commands (makemigrations, check) still run anywhere.
DATABASE_URL = env.str("DATABASE_URL", default="")
DATABASES = {
    "default": env.db_url_config(DATABASE_URL or f"sqlite:///{VAR_DIR / 'marketplace.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share the file: wait for locks instead of failing,
    # and let readers run beside the writer.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# --- Identity ---------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:login"

# Failed logins on the admin and the portal: after AXES_FAILURE_LIMIT failures from one IP for
# one username, that pair is locked out for LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.views.locked_out"
AXES_IPWARE_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT else ("REMOTE_ADDR",)
)

# --- Internationalisation and time ------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
# Suppliers work on China time: the portal shows every time in it; storage stays UTC.
PORTAL_TIME_ZONE = env.str("PORTAL_TIME_ZONE", default="Asia/Shanghai")
# Operators read the admin in their own zone (accounts.User.time_zone); this one when they have
# not chosen. Storage stays UTC.
DEFAULT_OPERATOR_TIME_ZONE = env.str("DEFAULT_OPERATOR_TIME_ZONE", default="Asia/Shanghai")
try:
    zoneinfo.ZoneInfo(DEFAULT_OPERATOR_TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"DEFAULT_OPERATOR_TIME_ZONE={DEFAULT_OPERATOR_TIME_ZONE!r} is not an IANA time zone "
        "(e.g. Asia/Shanghai)."
    ) from None
# Our datetime formats name the zone (marketplace/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["marketplace.formats"]

# --- Static and media -------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / env.str("STATIC_ROOT", default="var/static")  # relative to BASE_DIR
STATICFILES_DIRS = [BASE_DIR / "static"]
if STATIC_ROOT.is_relative_to(VAR_DIR):
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # collectstatic fills it; whitenoise reads it
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / env.str("MEDIA_ROOT", default="var/media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Email ------------------------------------------------------------------------------------

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="back-office@marketplace.localhost")

# --- Security (production defaults whenever DEBUG is off) ------------------------------------

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# Preloading is a commitment browsers keep for months: a deployment opts in explicitly.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy on every response (django-csp). Everything comes from this site:
# scripts only from our static files (the admin's, the portal's, Swagger UI's from the sidecar)
# or an inline block carrying the response's nonce; no inline event handlers, no eval. Style
# sheets likewise. Style *attributes* (style="width: 40%" on a chart's bar, the admin's and
# third-party widgets') cannot carry a nonce and run no script, so style-src-attr allows them.
# data: images are Swagger UI's and the admin's inline SVG icons.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.NONCE],
        "style-src-elem": [csp.SELF, csp.NONCE],
        "style-src-attr": [csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "form-action": [csp.SELF],
        "frame-ancestors": [csp.NONE],
    },
}

# --- API --------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Every view checks scopes unless it says otherwise (reads need `read`, writes name theirs).
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api.permissions.HasScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["marketplace.api.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "marketplace.api.negotiation.FallBackToFirstRenderer",
    "DEFAULT_PAGINATION_CLASS": "marketplace.api.pagination.CreatedCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "marketplace.api.throttling.ClientRateThrottle",
        "marketplace.api.throttling.AddressRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "client": env.str("API_THROTTLE_RATE", default="1200/min"),
        "anon": env.str("API_ANON_THROTTLE_RATE", default="60/min"),
    },
    "EXCEPTION_HANDLER": "marketplace.api.exceptions.exception_handler",
    # Proxies in front of the app, so the anonymous throttle keys on the client's address and
    # not on a forgeable X-Forwarded-For header.
    "NUM_PROXIES": env.int("TRUSTED_PROXY_COUNT", default=0),
    "DEFAULT_SCHEMA_CLASS": "marketplace.api.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Marketplace back-office API",
    "DESCRIPTION": (
        "For integrators (storefront, carriers, labs) and supplier tools. Authenticate with "
        "`Authorization: Bearer <api key>`. Every error has the body "
        '`{"code": ..., "message": ..., "fields": {...}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SupplierStatusEnum": "suppliers.models.Supplier.Status",
        "JitStatusEnum": "suppliers.models.Supplier.JitStatus",
        "LedgerEntryKindEnum": "suppliers.models.LedgerEntry.Kind",
        "AqlEnum": "catalogue.models.Category.Aql",
        "CorrectiveActionStatusEnum": "compliance.models.CorrectiveAction.Status",
        # Test records and certificates share their states (unverified, verified, rejected).
        "EvidenceStatusEnum": "compliance.models.TestRecord.Status",
        "TestResultEnum": "compliance.models.TestRecord.Result",
        # Two fields named `code`: a compliance reason's (its name before tracking's came) and a
        # tracking event's.
        "CodeEnum": "compliance.selectors.answer.REASON_CODES",
        "TrackingCodeEnum": "shipping.models.Milestone",
        "ParcelStatusEnum": "shipping.models.Parcel.Status",
        "ParcelModeEnum": "shipping.models.Parcel.Mode",
    },
    # 3.1 for the webhooks: what the back-office POSTs to integrators' endpoints.
    "OAS_VERSION": "3.1.0",
    "WEBHOOKS": ["marketplace.api.webhooks.event_webhook"],
}

# Wrong API keys from one client address: past this many in the period, every request with a
# key from that address is answered 429 until the period ends (guessing keys is throttled).
API_AUTH_FAILURE_RATE = env.str("API_AUTH_FAILURE_RATE", default="20/min")

# --- Celery -----------------------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND", default=f"file://{VAR_DIR / 'celery' / 'results'}"
)
# The longest task must finish well inside the visibility timeout, or Redis hands its message to
# a second worker while the first is still on it.
TASK_MAX_SECONDS = env.int("TASK_MAX_SECONDS", default=1800)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
    "visibility_timeout": TASK_MAX_SECONDS * 2,
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # In-folder and out-folder are the same, so a worker and beat in separate processes see
    # each other's messages.
    _broker_dir = VAR_DIR / "celery" / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        data_folder_in=str(_broker_dir / "queue"),
        data_folder_out=str(_broker_dir / "queue"),
        processed_folder=str(_broker_dir / "processed"),
        control_folder=str(_broker_dir / "control"),
        store_processed=False,
    )
if CELERY_RESULT_BACKEND.startswith("file://"):
    Path(CELERY_RESULT_BACKEND.removeprefix("file://")).mkdir(parents=True, exist_ok=True)

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = "UTC"
# Tasks are idempotent, so a message is acknowledged only once its task has finished: a worker
# that dies mid-task leaves the message for another worker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = env.float("CELERY_SOFT_SHUTDOWN_SECONDS", default=30.0)
CELERY_TASK_SOFT_TIME_LIMIT = TASK_MAX_SECONDS
CELERY_TASK_TIME_LIMIT = TASK_MAX_SECONDS + 60
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "marketplace.beat:Scheduler"
# Tests and local debugging may run tasks in-process.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Logging: one line per record on stdout, with the request id where there is one -----------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "marketplace.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "timestamp": False,
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "celery": {"level": LOG_LEVEL},
        "axes": {"level": "WARNING"},
    },
}

# --- Business rules (SPEC): defaults an operator may change through the environment -----------

# --- Business rules (SPEC): defaults an operator may change through the environment -----------

# JIT pilot: a supplier may enrol, and keeps taking JIT orders, only with at least this deposit
# and with a factory in one of these provinces.
JIT_MIN_DEPOSIT_CNY = Decimal(env.str("JIT_MIN_DEPOSIT_CNY", default="5000.00"))
JIT_PILOT_PROVINCES = env.list(
    "JIT_PILOT_PROVINCES",
    default=["Guangdong", "Guangxi", "Fujian", "Jiangxi", "Hunan", "Hainan"],
)
# Stocking cap for new products: the first stocking orders of a listing ask for at most this
# many units, until its first batch passes inspection and its return rate (judged only over at
# least RETURN_RATE_MIN_UNITS sold) is within RETURN_RATE_LIMIT.
STOCKING_CAP_UNITS = env.int("STOCKING_CAP_UNITS", default=30)
RETURN_RATE_LIMIT = Decimal(env.str("RETURN_RATE_LIMIT", default="0.08"))
RETURN_RATE_MIN_UNITS = env.int("RETURN_RATE_MIN_UNITS", default=20)
# Inspection: a category's AQL follows its risk level (ISO 2859-1 plans exist for these two
# values only), unless an operator overrides it for the category.
AQL_HIGH_RISK = env.str("AQL_HIGH_RISK", default="2.5")
AQL_LOW_RISK = env.str("AQL_LOW_RISK", default="4.0")
for _name, _aql in (("AQL_HIGH_RISK", AQL_HIGH_RISK), ("AQL_LOW_RISK", AQL_LOW_RISK)):
    if _aql not in ("2.5", "4.0"):
        raise ImproperlyConfigured(f"{_name} must be 2.5 or 4.0 (the sampling plans held).")
# JIT orders: ship within 24 h; the penalty table (multiples of goods value) and the reminders.
JIT_PENALTY_RULES = {
    "ship_within_hours": 24,
    "late_after_hours": 48,
    "stockout_after_hours": 72,
    "late_multiple": "1",
    "late_total_multiple": "5",
    "quality_multiple": "5",
    "stockout_multiple": "5",
    "cap_multiple": "5",
    "first_reminder_hours": 18,
    "second_reminder_hours": 23,
    "appeal_days": 7,
}
# A carrier scan stamped more than this far ahead of our clock is refused.
SCAN_CLOCK_SKEW_SECONDS = env.int("SCAN_CLOCK_SKEW_SECONDS", default=300)
# Most units one JIT order may ask for (a consumer's order; goods value stays within its column).
JIT_MAX_UNITS_PER_ORDER = env.int("JIT_MAX_UNITS_PER_ORDER", default=10000)
# How long a storefront's Idempotency-Key is remembered (a daily job forgets older ones).
IDEMPOTENCY_KEY_DAYS = env.int("IDEMPOTENCY_KEY_DAYS", default=7)
# Orders per transaction of the JIT deadline sweep.
SWEEP_BATCH_SIZE = env.int("SWEEP_BATCH_SIZE", default=10000)
# Stocking orders lapse unshipped after these many days (urgent ones sooner).
STOCKING_ORDER_DAYS = env.int("STOCKING_ORDER_DAYS", default=14)
STOCKING_ORDER_URGENT_DAYS = env.int("STOCKING_ORDER_URGENT_DAYS", default=7)
# Consignment stock unsold this long is offered back to its supplier.
OVERSTOCK_DAYS = env.int("OVERSTOCK_DAYS", default=90)
# The JIT warehouse all JIT orders ship to, by SF Express.
JIT_WAREHOUSE = env.str("JIT_WAREHOUSE", default="Zhaoqing JIT warehouse")
# An owner's invitation to a colleague stays valid this long.
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)
# The business licence uploaded at onboarding.
LICENCE_MAX_BYTES = env.int("LICENCE_MAX_BYTES", default=5 * 1024 * 1024)

# Compliance (SPEC, "Compliance: third-party testing").
# Suppliers are told this many days before a required test or certificate expires.
COMPLIANCE_EXPIRY_WARNING_DAYS = env.list(
    "COMPLIANCE_EXPIRY_WARNING_DAYS", cast=int, default=[30, 7]
)
# Enforcement ladder: the n-th failed test of a supplier within the window takes step n (1:
# delisting in the affected markets, 2: and a fine, 3: and suspension).
COMPLIANCE_LADDER_WINDOW = timedelta(days=env.int("COMPLIANCE_LADDER_WINDOW_DAYS", default=180))
COMPLIANCE_FINE_CNY = Decimal(env.str("COMPLIANCE_FINE_CNY", default="2000.00"))
# A supplier may appeal an enforcement case this long after it opened.
COMPLIANCE_APPEAL_WINDOW = timedelta(days=env.int("COMPLIANCE_APPEAL_DAYS", default=7))
# Corrective actions: reminders this many days before due.
CAPA_REMINDER_DAYS = env.list("CAPA_REMINDER_DAYS", cast=int, default=[10, 1])
# Random sampling of live listings: the monthly budget for test purchases and lab fees.
SAMPLING_MONTHLY_BUDGET_CNY = Decimal(env.str("SAMPLING_MONTHLY_BUDGET_CNY", default="20000.00"))
# CPSC eFiling: US entries of regulated consumer products carry certificate data from this day.
EFILING_REQUIRED_FROM = date.fromisoformat(env.str("EFILING_REQUIRED_FROM", default="2026-07-08"))
# Test reports and certificates are PDFs of at most this size (checked by their content).
COMPLIANCE_PDF_MAX_BYTES = env.int("COMPLIANCE_PDF_MAX_BYTES", default=20 * 1024 * 1024)

# Outbound parcels (SPEC, "Outbound parcels"): delivered within 7-12 days of pickup; a parcel
# not delivered DELIVERY_TARGET_DAYS after pickup is flagged late. A consumer order is split into
# parcels of at most PARCEL_MAX_WEIGHT_G. A carrier posts at most TRACKING_BATCH_MAX events a
# request; an event more than SCAN_CLOCK_SKEW_SECONDS in the future is refused.
DELIVERY_TARGET_MIN_DAYS = env.int("DELIVERY_TARGET_MIN_DAYS", default=7)
DELIVERY_TARGET_DAYS = env.int("DELIVERY_TARGET_DAYS", default=12)
PARCEL_MAX_WEIGHT_G = env.int("PARCEL_MAX_WEIGHT_G", default=30_000)
TRACKING_BATCH_MAX = env.int("TRACKING_BATCH_MAX", default=1000)
# Customs: the platform, as the marketplace selling to EU consumers, is registered in IOSS (the
# EU's flat EUR 3 per subheading from 2026-07-01 applies only to IOSS sellers).
PLATFORM_IOSS_REGISTERED = env.bool("PLATFORM_IOSS_REGISTERED", default=True)

# Returns (SPEC, "Returns"): within RETURN_WINDOW_DAYS of delivery; an item worth less than
# REFUND_ONLY_BELOW_USD (other currencies at the day's rate) is refunded with no return; a
# defective item is charged back at its supply price plus RETURN_HANDLING_FEE_CNY, appealable
# for CHARGEBACK_APPEAL_DAYS.
RETURN_WINDOW_DAYS = env.int("RETURN_WINDOW_DAYS", default=30)
REFUND_ONLY_BELOW_USD = Decimal(env.str("REFUND_ONLY_BELOW_USD", default="10.00"))
RETURN_HANDLING_FEE_CNY = Decimal(env.str("RETURN_HANDLING_FEE_CNY", default="15.00"))
CHARGEBACK_APPEAL_DAYS = env.int("CHARGEBACK_APPEAL_DAYS", default=7)
# Return-rate feedback (SPEC, "Listings"): over RETURN_RATE_WINDOW_DAYS with at least
# RETURN_RATE_MIN_UNITS sold, a listing above RETURN_RATE_LIMIT (8%) puts its supplier on
# warning; above RETURN_RATE_PAUSE (15%) it is paused and fined the supply value of the units
# returned as defective, appealable for RETURN_RATE_APPEAL_DAYS.
RETURN_RATE_WINDOW_DAYS = env.int("RETURN_RATE_WINDOW_DAYS", default=30)
RETURN_RATE_PAUSE = Decimal(env.str("RETURN_RATE_PAUSE", default="0.15"))
RETURN_RATE_APPEAL_DAYS = env.int("RETURN_RATE_APPEAL_DAYS", default=7)

# Scorecards (SPEC, "Suppliers and money"): per supplier over a rolling SCORECARD_WINDOW_DAYS.
# Each rate's confidence interval is Wilson's at SCORECARD_CONFIDENCE. A component with no
# activity in the window is not scored. Component scores run 0-100: a good rate (on time, lab
# pass) scores 100 x the rate; a bad rate (rejection, return, defect of returns) scores
# 100 x (1 - rate / its "worst"), floored at 0; open corrective actions cost
# SCORECARD_CORRECTIVE_POINTS each. The overall score is the weighted mean of the scored
# components (weights below, renormalised over the components scored).
SCORECARD_WINDOW_DAYS = env.int("SCORECARD_WINDOW_DAYS", default=30)
SCORECARD_CONFIDENCE = Decimal(env.str("SCORECARD_CONFIDENCE", default="0.95"))
SCORECARD_WEIGHTS: dict[str, int] = {
    "on_time": 30,
    "quality": 20,
    "returns": 20,
    "return_defects": 10,
    "lab_pass": 15,
    "corrective": 5,
}
# A bad rate's "worst" is where its component scores 0. They are set so that one bad unit (or
# lot) out of three, the component's optimistic end (Wilson lower bound 6.15%), still scores
# "good" (70 or more) and does not sink a new supplier: each worst must be at least 0.205.
SCORECARD_BAD_RATE_WORST: dict[str, Decimal] = {
    "quality": Decimal("0.25"),
    "returns": Decimal("0.30"),
    "return_defects": Decimal("1.00"),
}
SCORECARD_CORRECTIVE_POINTS = env.int("SCORECARD_CORRECTIVE_POINTS", default=25)
# Standings: bands of the overall score, covering 0-100 without overlap (a band holds its lower
# bound; the last one also holds 100). Checked at start-up (scorecards.checks).
SCORECARD_STANDINGS: list[tuple[str, Decimal, Decimal]] = [
    ("very_poor", Decimal("0"), Decimal("50")),
    ("poor", Decimal("50"), Decimal("70")),
    ("good", Decimal("70"), Decimal("90")),
    ("excellent", Decimal("90"), Decimal("100")),
]
# Compliance sampling weight by standing (a supplier with no scorecard yet is "new").
STANDING_SAMPLING_WEIGHT: dict[str, Decimal] = {
    "very_poor": Decimal("2.0"),
    "poor": Decimal("1.5"),
    "new": Decimal("1.0"),
    "good": Decimal("1.0"),
    "excellent": Decimal("0.75"),
}

# Demand-driven restock (SPEC, "Demand-driven restock"). The storefront posts at most
# DEMAND_SIGNALS_MAX rows a request. The replenishment time of a listing is the supplier's
# confirmation window + its production lead time (the listing's, else the default) + transit +
# receiving and inspection. Safety stock is set for RESTOCK_SERVICE_LEVEL. A listing whose
# RESTOCK_TRENDING_DAYS order rate is over RESTOCK_TRENDING_FACTOR x its previous
# RESTOCK_TRENDING_BASE_DAYS rate is trending (its proposal is urgent); one with no orders for
# RESTOCK_DEAD_DAYS gets no proposal and becomes an overstock-return candidate. Proposals expire
# after RESTOCK_PROPOSAL_DAYS. The nightly job forecasts RESTOCK_HISTORY_DAYS of history in
# chunks of RESTOCK_CHUNK_LISTINGS listings; a chunk not done RESTOCK_CHUNK_STALE_SECONDS
# after it was sent is sent again.
DEMAND_SIGNALS_MAX = env.int("DEMAND_SIGNALS_MAX", default=10_000)
RESTOCK_CONFIRM_DAYS = env.int("RESTOCK_CONFIRM_DAYS", default=3)
RESTOCK_PRODUCTION_DAYS = env.int("RESTOCK_PRODUCTION_DAYS", default=10)
RESTOCK_TRANSIT_DAYS = env.int("RESTOCK_TRANSIT_DAYS", default=3)
RESTOCK_RECEIVING_DAYS = env.int("RESTOCK_RECEIVING_DAYS", default=2)
RESTOCK_SERVICE_LEVEL = Decimal(env.str("RESTOCK_SERVICE_LEVEL", default="0.95"))
RESTOCK_TRENDING_DAYS = 7
RESTOCK_TRENDING_BASE_DAYS = 28
RESTOCK_TRENDING_FACTOR = Decimal(env.str("RESTOCK_TRENDING_FACTOR", default="3"))
RESTOCK_DEAD_DAYS = env.int("RESTOCK_DEAD_DAYS", default=30)
RESTOCK_PROPOSAL_DAYS = env.int("RESTOCK_PROPOSAL_DAYS", default=3)
RESTOCK_BACKTEST_DAYS = 28
RESTOCK_HISTORY_DAYS = env.int("RESTOCK_HISTORY_DAYS", default=180)
RESTOCK_CHUNK_LISTINGS = env.int("RESTOCK_CHUNK_LISTINGS", default=2000)
RESTOCK_CHUNK_STALE_SECONDS = env.int("RESTOCK_CHUNK_STALE_SECONDS", default=300)

# Webhooks: each delivery is retried with exponential back-off (base doubling up to the cap)
# until it succeeds or WEBHOOK_RETRY_HOURS have passed since the event.
WEBHOOK_TIMEOUT_SECONDS = env.int("WEBHOOK_TIMEOUT_SECONDS", default=10)
WEBHOOK_RETRY_BASE_SECONDS = 30
WEBHOOK_RETRY_CAP_SECONDS = 2 * 3600
WEBHOOK_RETRY_HOURS = env.int("WEBHOOK_RETRY_HOURS", default=24)

# An API key's "last used" time is written at most once per this many seconds, so a busy
# integrator does not turn every read into a write.
API_KEY_LAST_USED_RESOLUTION = timedelta(seconds=60)
