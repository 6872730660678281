"""Settings for the queue system: one module, driven by environment variables.

With no variables at all the product runs embedded: SQLite at ``db.sqlite3``
and the in-memory channel layer. Production sets ``DATABASE_URL`` and
``REDIS_URL``. A bad value stops the start with a message naming the variable.
"""

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r}: must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_hostports(name: str) -> list[tuple[str, int]]:
    """host:port,host:port (REDIS_SENTINELS); an empty list when unset."""
    hosts = []
    for item in env_list(name, []):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ImproperlyConfigured(f"{name}: {item!r} is not host:port (for example 10.0.0.5:26379)")
        hosts.append((host.strip("[]"), int(port)))
    return hosts


def env_choice(name: str, default: str, choices: list[str]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfigured(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return value


def env_rate(name: str, default: str) -> str:
    """A DRF rate such as 5/hour; DRF itself would only fail at the first request."""
    value = env_str(name, default)
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise ImproperlyConfigured(f"{name}={value!r}: expected a rate such as 5/hour (per second, minute, hour, day)")
    return value


def env_url(name: str, default: str, schemes: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value:
        parts = urlsplit(value)
        if parts.scheme not in schemes or not (parts.netloc or parts.path):
            raise ImproperlyConfigured(f"{name}={value!r}: expected an address starting with {' or '.join(schemes)}://")
    return value


def env_timezone(name: str, default: str) -> str:
    value = env_str(name, default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r}: unknown time zone") from None
    return value


DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-the-embedded-mode"

# Proxies in front of Daphne (deploy/nginx.conf is one). With one or more, the
# scheme comes from X-Forwarded-Proto and the client's address from
# X-Forwarded-For, as the nearest proxy sets them (queue_system/clients.py).
NUM_PROXIES = env_int("NUM_PROXIES", 0)
if NUM_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
for _origin in CSRF_TRUSTED_ORIGINS:
    if urlsplit(_origin).scheme not in ("http", "https") or not urlsplit(_origin).netloc:
        raise ImproperlyConfigured(
            f"DJANGO_CSRF_TRUSTED_ORIGINS: {_origin!r} is not an origin like https://queue.example.ru"
        )

INSTALLED_APPS = [
    "daphne",  # must come first so that runserver serves ASGI
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "queue_system.apps.AxesConfig",  # django-axes, with a Russian name in the admin
    "offices",
    "events",
    "tickets",
    "bookings",
    "feedback",
    "notify",
    "displays",
    "reports",
]

MIDDLEWARE = [
    # Outermost: everything a request commits is announced after its response is out.
    "queue_system.middleware.BroadcastAfterResponseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "queue_system.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "queue_system.middleware.RefuseBadCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Below CommonMiddleware (APPEND_SLASH) and above the database one (its 503 page wins).
    "queue_system.middleware.ProductErrorPagesMiddleware",
    # django-axes asks to come last: it turns a locked-out sign-in into its lockout page.
    # Only this process_exception hook sits inside it.
    "axes.middleware.AxesMiddleware",
    # Innermost and sync-only, so that every middleware above runs in sync mode: see its docstring.
    "queue_system.middleware.DatabaseUnavailableMiddleware",
]

# Sent with every response (queue_system.middleware). No inline script or style
# anywhere: 'self' also covers the same-origin WebSockets of the screens.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)

AUTHENTICATION_BACKENDS = [
    # django-axes counts failed sign-ins (page and API token) and locks out repeat offenders.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "queue_system.lockout.lockout_response"
# Failed sign-ins from one address across all user names (password spraying).
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 30, minimum=1)
AXES_HANDLER = "queue_system.signin.SignInHandler"
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # counts the failures per address
AXES_CLIENT_IP_CALLABLE = "queue_system.clients.client_address"
AXES_USERNAME_CALLABLE = "queue_system.signin.username_of"  # cut to axes' column
AXES_VERBOSE = False

ROOT_URLCONF = "queue_system.urls"
CSRF_FAILURE_VIEW = "queue_system.errors.csrf_failure"  # the product's Russian page, not Django's

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
            ],
        },
    },
]

ASGI_APPLICATION = "queue_system.asgi.application"

# Database: SQLite by default, PostgreSQL through DATABASE_URL.
# The pool settings are checked even without PostgreSQL: a bad value fails now, not on the move to it.
_pool_min = env_int("DB_POOL_MIN", 2)
_pool_max = env_int("DB_POOL_MAX", 20, minimum=1)
_pool_timeout = env_int("DB_POOL_TIMEOUT", 10, minimum=1)
if _pool_min > _pool_max:
    raise ImproperlyConfigured(f"DB_POOL_MIN={_pool_min} is above DB_POOL_MAX={_pool_max}")


def parse_database_url(url: str) -> dict:
    """dj-database-url's parse, plus libpq's multi-host form ``postgres://u:p@h1:5432,h2:5432/db?...``.

    dj-database-url refuses several hosts in the address; libpq and psycopg take
    them as comma-separated ``host`` and ``port`` and, with
    ``?target_session_attrs=read-write``, connect to whichever is the primary.
    """
    match = re.fullmatch(r"(postgres(?:ql)?|pgsql)://((?:[^@/]*@)?)([^/?#]*,[^/?#]*)(.*)", url)
    if not match:
        return dj_database_url.parse(url)
    scheme, userinfo, hostlist, rest = match.groups()
    hosts, ports = [], []
    for item in hostlist.split(","):
        host, _, port = item.rpartition(":") if not item.endswith("]") else (item, "", "")
        if not host:
            host, port = item, ""
        if not host or (port and not port.isdigit()):
            raise ValueError(f"{item!r} is not host or host:port")
        hosts.append(host.strip("[]"))
        ports.append(port or "5432")
    config = dj_database_url.parse(f"{scheme}://{userinfo}{hosts[0]}{rest}")
    config["HOST"], config["PORT"] = ",".join(hosts), ",".join(ports)
    return config


DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    try:
        _db = parse_database_url(DATABASE_URL)
    except Exception as exc:  # dj-database-url raises several types for bad URLs
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if not _db.get("ENGINE"):
        raise ImproperlyConfigured("DATABASE_URL: unsupported scheme")
else:
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(BASE_DIR / "db.sqlite3")}

if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two transactions can never
    # both read a waiting ticket and then both try to claim it.
    _db.setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    _db["OPTIONS"].setdefault("timeout", 20)
    # Live-server tests fork a daphne process: it must find the test database
    # in a file, not in the parent's memory.
    _db["TEST"] = {"NAME": str(BASE_DIR / "test_db.sqlite3")}
else:
    _db["TEST"] = {"NAME": "test_" + _db["NAME"]}
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # Under ASGI every request runs in a fresh thread, so Django's
        # persistent connections would open (and leak) one connection per
        # request. A pool shared by the threads of the process avoids both.
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": _pool_min,
            "max_size": _pool_max,
            # How long a request waits for a connection before answering 503.
            "timeout": _pool_timeout,
        }
        # After a database restart or a switchover the pooled connections are dead:
        # with this Django gives the pool a check (a ping as each connection leaves
        # it), so they are dropped there instead of failing a request each.
        _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}


def redis_connection() -> dict | None:
    """How every Redis user connects, as a channels-redis host entry; None without Redis.

    One Redis: ``{"address": REDIS_URL}``. Redis Sentinel: ``{"sentinels": [(host, port), ...],
    "master_name": ..., "db": ...}``, the form channels-redis hands to redis-py's own
    Sentinel support; tickets/redis_connection.py reads the same entry for the sync
    clients (seq counters, cache), so a failover moves them all to the new master.
    """
    url = env_url("REDIS_URL", "", ("redis", "rediss", "unix"))
    sentinels = env_hostports("REDIS_SENTINELS")
    master = env_str("REDIS_SENTINEL_MASTER", "")
    db = env_int("REDIS_DB", 0)
    password = env_str("REDIS_PASSWORD", "")
    if sentinels and url:
        raise ImproperlyConfigured("set REDIS_URL (one Redis) or REDIS_SENTINELS (Redis Sentinel), not both")
    if bool(sentinels) != bool(master):
        raise ImproperlyConfigured("REDIS_SENTINELS and REDIS_SENTINEL_MASTER go together: set both or neither")
    if not sentinels:
        if os.environ.get("REDIS_DB") or password:
            raise ImproperlyConfigured("REDIS_DB and REDIS_PASSWORD are for REDIS_SENTINELS; put them in REDIS_URL")
        return {"address": url} if url else None
    # Without timeouts of its own, a sentinel that stops answering would hang every master lookup.
    sentinel_kwargs = {"socket_timeout": 2, "socket_connect_timeout": 2}
    host = {"sentinels": sentinels, "master_name": master, "db": db, "sentinel_kwargs": sentinel_kwargs}
    if password:
        # One password for the master, its replicas and the sentinels (requirepass, sentinel's requirepass).
        host["password"] = password
        sentinel_kwargs["password"] = password
    return host


# Channel layer and cache: in-memory by default, Redis through REDIS_URL or REDIS_SENTINELS.
REDIS = redis_connection()
REDIS_URL = REDIS.get("address", "") if REDIS else ""
# Seconds a read from Redis may take; must stay above channels-redis' 5 s blocking read.
REDIS_SOCKET_TIMEOUT = 30
# The channel layer's connections to Redis per process, and how long a command
# waits for one when all are busy (a mass disconnect of screens): see
# queue_system/channel_layer.py. Two processes take twice as many of Redis'
# 10,000 client slots.
REDIS_MAX_CONNECTIONS = env_int("REDIS_MAX_CONNECTIONS", 50, minimum=2)
REDIS_POOL_TIMEOUT = env_int("REDIS_POOL_TIMEOUT", 20, minimum=1)
if REDIS:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "queue_system.channel_layer.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        **REDIS,
                        # An idle consumer blocks in BZPOPMIN for 5 s (channels-redis'
                        # brpop_timeout) on this socket. A read timeout at or below
                        # that kills every idle screen with 1011 every few seconds:
                        # redis-py 8 made 5 s its default (channels_redis#422). So the
                        # timeout is ours, well above the blocking read, and still
                        # short enough that a dead Redis is noticed in seconds.
                        "socket_timeout": REDIS_SOCKET_TIMEOUT,
                        "socket_connect_timeout": 5,
                        # A pooled connection idle longer than this is pinged before
                        # use, so a connection cut by a firewall or a Redis restart
                        # fails over to a new one instead of erroring once.
                        "health_check_interval": 30,
                        "socket_keepalive": True,
                        # Per process: commands beyond this many in flight wait
                        # for a free connection (queue_system/channel_layer.py).
                        "max_connections": REDIS_MAX_CONNECTIONS,
                        "pool_timeout": REDIS_POOL_TIMEOUT,
                    }
                ],
                # A hall display stays connected for a whole working day and
                # longer. Group membership in Redis expires after group_expiry
                # seconds, so it must outlive the longest connection: a display
                # also re-joins its group on every reconnect. 48 hours covers a
                # display left on over a night.
                "group_expiry": 48 * 3600,
                # Messages queued for one slow consumer before new ones are
                # dropped. A display receives a few messages per call; 500
                # covers a burst of many simultaneous calls in a big office.
                "capacity": 500,
                "expiry": 60,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL or f"redis://{REDIS['master_name']}/{REDIS['db']}",
            # With Sentinel the pool asks the sentinels for the master (LOCATION only names it).
            "OPTIONS": {} if REDIS_URL else {"pool_class": "tickets.redis_connection.CachePool", **REDIS},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", "Русский")]
# Russian for the words third-party apps (django-axes) leave in English.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_timezone("TIME_ZONE", "Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve static files straight from the app folders: no collectstatic needed
# in the embedded mode, and the kiosk never depends on a CDN.
WHITENOISE_USE_FINDERS = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

REST_FRAMEWORK = {
    # TokenAuthentication first: its header makes DRF answer 401, not 403,
    # to a request without credentials.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "offices.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["queue_system.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "queue_system.errors.exception_handler",
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # ?format= selects a report download (xlsx, csv), not a DRF renderer.
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Электронная очередь ЦОК",
    "DESCRIPTION": "API электронной очереди центров обслуживания клиентов.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI is served from the sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "queue_system.openapi.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CounterStateEnum": "offices.models.Counter.State",
        "TicketStatusEnum": "tickets.models.Ticket.Status",
    },
}

if not DEBUG:
    # Production sits behind a TLS-terminating proxy (see deploy/nginx.conf).
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    if SECURE_SSL_REDIRECT and not NUM_PROXIES:
        # Daphne itself speaks plain HTTP: without a proxy that says a request
        # came over https, every page would redirect to an address nobody serves.
        raise ImproperlyConfigured(
            "SECURE_SSL_REDIRECT is on but NUM_PROXIES=0: put a TLS-terminating proxy in front "
            "(deploy/nginx.conf) and set NUM_PROXIES=1, or set SECURE_SSL_REDIRECT=0"
        )
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer probes over plain HTTP
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "filters": {"one_line_per_minute": {"()": "queue_system.logfilters.OneLinePerMinute"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
    },
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        # A wrong Host header: one line a minute, not a traceback per request.
        "django.security.DisallowedHost": {"filters": ["one_line_per_minute"]},
    },
}

# The address printed in the tickets' QR codes, as seen from a client's phone
# (for example https://queue.example.ru). Empty: the address the kiosk uses.
PUBLIC_URL = env_url("PUBLIC_URL", "", ("http", "https")).rstrip("/")

# Tickets asked for from outside the office (no paired kiosk, no staff), when
# an office allows them: per client address and per office. DRF rate syntax.
REMOTE_TICKETS_PER_CLIENT = env_rate("REMOTE_TICKETS_PER_CLIENT", "5/hour")
REMOTE_TICKETS_PER_OFFICE = env_rate("REMOTE_TICKETS_PER_OFFICE", "300/hour")
# Tickets given up from a phone (DELETE /api/v1/tickets/<token>/), per client address.
TICKET_CANCELS_PER_CLIENT = env_rate("TICKET_CANCELS_PER_CLIENT", "30/hour")
# Ratings sent from phones (POST /api/v1/tickets/<token>/feedback/), per client address.
FEEDBACK_PER_CLIENT = env_rate("FEEDBACK_PER_CLIENT", "30/hour")

# Staff API tokens expire this many hours after they were issued (at least a shift).
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 24, minimum=1)

# How often an open operator socket re-checks its session and office membership:
# a logout or a lost membership closes it within this many seconds.
OPERATOR_SOCKET_RECHECK_SECONDS = env_int("OPERATOR_SOCKET_RECHECK_SECONDS", 5, minimum=1)

# A kiosk pairing link works once, within this many hours of being made.
KIOSK_PAIRING_HOURS = env_int("KIOSK_PAIRING_HOURS", 24, minimum=1)

# Estimated wait: the default service time when a service has no history yet.
DEFAULT_SERVICE_SECONDS = env_int("DEFAULT_SERVICE_SECONDS", 300, minimum=1)

# Staffing forecast (reports/forecast.py): arrivals are the mean of the same
# weekday and hour over this many past weeks; the public load page's usual load too.
FORECAST_WEEKS = env_int("FORECAST_WEEKS", 8, minimum=1)
# The public load page (/load/<office>/) may be framed by these origins (CSP
# frame-ancestors, e.g. "https://www.example.ru"); every other page refuses framing.
# The page is read-only and public, so "*" (any site) is the default.
LOAD_FRAME_ANCESTORS = env_list("LOAD_FRAME_ANCESTORS", ["*"])
for _ancestor in LOAD_FRAME_ANCESTORS:
    if not re.fullmatch(r"\*|'self'|https?://[A-Za-z0-9.*-]+(:[0-9]+)?", _ancestor):
        raise ImproperlyConfigured(
            f"LOAD_FRAME_ANCESTORS: {_ancestor!r} is not an origin like https://www.example.ru, 'self' or *"
        )

# Pre-booking (bookings app). A booked client may check in at the kiosk from
# EARLY minutes before the slot to LATE minutes after its start; after that the
# booking reads as a no-show. Active bookings (booked, not yet a no-show) are
# limited per phone and per client address: the abuse protection of booking.
# Names and phones are erased by close_day this many days after the visit.
BOOKING_CHECKIN_EARLY_MINUTES = env_int("BOOKING_CHECKIN_EARLY_MINUTES", 15)
BOOKING_CHECKIN_LATE_MINUTES = env_int("BOOKING_CHECKIN_LATE_MINUTES", 10)
BOOKINGS_PER_PHONE = env_int("BOOKINGS_PER_PHONE", 2, minimum=1)
BOOKINGS_PER_ADDRESS = env_int("BOOKINGS_PER_ADDRESS", 5, minimum=1)
BOOKING_DATA_DAYS = env_int("BOOKING_DATA_DAYS", 30, minimum=1)

# Feedback (feedback app). A client may rate a finished visit from the phone
# for FEEDBACK_HOURS; the counter's tablet asks for FEEDBACK_TABLET_SECONDS
# after a finish, then goes dark. Comments are personal data: close_day
# erases them with the bookings' names and phones (BOOKING_DATA_DAYS).
FEEDBACK_HOURS = env_int("FEEDBACK_HOURS", 24, minimum=1)
FEEDBACK_TABLET_SECONDS = env_int("FEEDBACK_TABLET_SECONDS", 60, minimum=1)
# What close_day runs after the bookings, for apps that bookings may not import
# (import-linter layers): dotted paths of functions that return a line to print.
CLOSE_DAY_HOOKS = ["feedback.services.close_day_hook"]


def env_float(name: str, default: float, *, minimum: float = 0) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a number") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r}: must be at least {minimum}")
    return value


# Webhooks (events app, `manage.py deliver_events`). The n-th retry of a
# delivery waits WEBHOOK_RETRY_BASE_SECONDS × 2^(n−1), at most an hour; after
# WEBHOOK_RETRY_HOURS of failures the delivery is dead (admin: «Повторить»).
WEBHOOK_RETRY_BASE_SECONDS = env_float("WEBHOOK_RETRY_BASE_SECONDS", 5)
WEBHOOK_RETRY_MAX_SECONDS = env_float("WEBHOOK_RETRY_MAX_SECONDS", 3600, minimum=0.001)
WEBHOOK_RETRY_HOURS = env_float("WEBHOOK_RETRY_HOURS", 24, minimum=0.001)
# One attempt's connect + read timeout, in seconds.
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=0.1)
# How long an idle worker sleeps between looks at the outbox.
WEBHOOK_POLL_SECONDS = env_float("WEBHOOK_POLL_SECONDS", 0.2, minimum=0.01)
# Deliveries one worker claims (and holds locked) per round.
WEBHOOK_BATCH_SIZE = env_int("WEBHOOK_BATCH_SIZE", 50, minimum=1)

# Notifications to clients (notify app): Telegram through the Bot API, SMS
# through an HTTP gateway, both sent by the webhook worker through the same
# outbox. None is required: with neither configured nothing is sent or queued.
TELEGRAM_BOT_TOKEN = env_str("TELEGRAM_BOT_TOKEN", "")
TELEGRAM_BOT_USERNAME = env_str("TELEGRAM_BOT_USERNAME", "").lstrip("@")
TELEGRAM_API_URL = env_url("TELEGRAM_API_URL", "https://api.telegram.org", ("http", "https")).rstrip("/")
# polling: `manage.py notify` asks Telegram for the bot's messages (no public
# address needed); webhook: Telegram posts them to /notify/telegram/, signed
# with TELEGRAM_WEBHOOK_SECRET in the X-Telegram-Bot-Api-Secret-Token header.
TELEGRAM_MODE = env_choice("TELEGRAM_MODE", "polling", ["polling", "webhook"])
TELEGRAM_WEBHOOK_SECRET = env_str("TELEGRAM_WEBHOOK_SECRET", "")
if TELEGRAM_BOT_TOKEN and not TELEGRAM_BOT_USERNAME:
    raise ImproperlyConfigured("TELEGRAM_BOT_TOKEN is set: set TELEGRAM_BOT_USERNAME too (the bot's @name)")
if TELEGRAM_BOT_TOKEN and TELEGRAM_MODE == "webhook" and len(TELEGRAM_WEBHOOK_SECRET) < 16:
    raise ImproperlyConfigured("TELEGRAM_MODE=webhook: set TELEGRAM_WEBHOOK_SECRET (at least 16 characters)")
SMS_GATEWAY_URL = env_url("SMS_GATEWAY_URL", "", ("http", "https"))
# The Authorization header's whole value, e.g. "Bearer abc" or "Basic dXNlcjpwYXNz".
SMS_GATEWAY_AUTH = env_str("SMS_GATEWAY_AUTH", "")
# The request body; $phone and $text are replaced (JSON-escaped when the body is
# JSON, that is, starts with "{"; URL-encoded otherwise, sent as a form).
SMS_TEMPLATE = env_str("SMS_TEMPLATE", "") or '{"phone": "$phone", "text": "$text"}'
# «Перед вами N человек» goes out when this many or fewer are ahead.
NOTIFY_AHEAD = env_int("NOTIFY_AHEAD", 3, minimum=1)
# How often `manage.py notify` looks for something to tell clients.
NOTIFY_POLL_SECONDS = env_float("NOTIFY_POLL_SECONDS", 1, minimum=0.05)
