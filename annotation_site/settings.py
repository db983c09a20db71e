"""Settings, all read from the environment (see .env.example for every variable).

With nothing set, the app runs on the embedded default: an SQLite file and a
Celery broker on the filesystem, both under ``VAR_DIR``. Set ``DATABASE_URL``
and ``REDIS_URL`` to run the same code on PostgreSQL and Redis.
"""

import secrets
import socket
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_list, env_log_level, env_rate, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
ARTIFACT_DIR = Path(env_str("ARTIFACT_DIR", str(VAR_DIR / "artifacts")))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # beat's schedule (compose: --schedule) and the files below

DEBUG = env_bool("DEBUG", default=True)


def _secret_key() -> str:
    """Never a hard-coded key: production must set one; debug gets a random, persisted one."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
ALLOW_SIGNUP = env_bool("ALLOW_SIGNUP", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "labeling",
    "training",
]

MIDDLEWARE = [
    # First: the container's health probe (plain HTTP to 127.0.0.1) is answered before the Host
    # check and the HTTPS redirect below, which would refuse it (400) or redirect it (301).
    "annotation_site.health.HealthProbeMiddleware",
    "annotation_site.body_limit.BodyLimitMiddleware",  # before anything reads the body
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # APPEND_SLASH redirects only unrouted paths; under /api/ none is (urls.py: api_route_missing).
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "annotation_site.urls"
WSGI_APPLICATION = "annotation_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "annotation_site" / "templates"],
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

# --- database -------------------------------------------------------------
def _sqlite(path: str) -> dict:
    """SQLite tuned for several writers (web threads, workers), whichever way it is chosen:
    ``DATABASE_URL=sqlite:///path`` gets the same settings as the default file."""
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": path,
        "OPTIONS": {
            # IMMEDIATE takes the write lock when a transaction starts, so two
            # writers queue on `timeout` instead of failing on a lock upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        "TEST": {"NAME": env_str("SQLITE_TEST_PATH") or None},
        "CONN_MAX_AGE": 60,  # opening the file and running init_command per request costs ms
        "CONN_HEALTH_CHECKS": True,
    }


def _database_url(url: str) -> dict:
    """dj_database_url's settings, or an error naming the variable (its own named none). The URL
    holds the password, so the error never repeats it (nor the parser's text)."""
    try:
        return dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except dj_database_url.UnknownSchemeError:
        problem = "its scheme is not a database's"
    except ValueError:  # dj_database_url.ParseError: urllib could not split it
        problem = "it does not parse as a URL"
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database URL ({problem}): use postgres://USER:PASSWORD@HOST:PORT/NAME "
        "or sqlite:////absolute/path, with any of / + = @ : # ? % in the password percent-encoded "
        "(urllib.parse.quote(password, safe=''); a base64 password holds / + =)"
    )


DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    DATABASES = {"default": _sqlite(env_str("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")))}
else:
    DATABASES = {"default": _database_url(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES = {"default": _sqlite(DATABASES["default"]["NAME"])}
    elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's, with the per-request health check folded into the first query.
        DATABASES["default"]["ENGINE"] = "annotation_site.postgresql"
if sys.argv[1:2] == ["runserver"]:
    # The development server serves each browser connection on a new thread and never closes
    # that thread's database connection: with persistence, one left open per connection until
    # PostgreSQL refuses more ("too many clients"). scripts/serve.sh (gunicorn) keeps them.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery ---------------------------------------------------------------
# Checked here: without a scheme, every login was a 500 (the login throttle's cache is Redis).
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss"), example="redis://redis:6379/0")
# "localhost" names no server (the filesystem transport has none); without it kombu warns "No
# hostname was supplied" at every start.
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", REDIS_URL or "filesystem://localhost/", example="redis://redis:6379/0")
# A gpu-queue Celery task unacknowledged past the visibility timeout is redelivered to another
# worker while the first still trains: keep it above the longest run (48 h).
_visibility = env_int("CELERY_VISIBILITY_TIMEOUT", 48 * 3600)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _sub in ("queue", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _visibility}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True  # the database row, not a result backend, holds outcomes
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "training.tasks.run_training": {"queue": "gpu"},
    "training.tasks.score_comparison_priorities": {"queue": "gpu"},
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Training guards (training/services.py, training/runner.py): a run whose worker died is
# re-queued to resume until it has had this many attempts; a run still training this many
# seconds after it first started fails with the reason (below the visibility timeout, so the
# broker never hands a live run to a second worker); a project has at most this many runs waiting.
TRAINING_RUN_MAX_ATTEMPTS = env_int("TRAINING_RUN_MAX_ATTEMPTS", 3)
TRAINING_RUN_TIME_LIMIT = env_int("TRAINING_RUN_TIME_LIMIT", 24 * 3600)
if _visibility <= TRAINING_RUN_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"TRAINING_RUN_TIME_LIMIT ({TRAINING_RUN_TIME_LIMIT} s) must be below CELERY_VISIBILITY_TIMEOUT "
        f"({_visibility} s): the broker would hand a run still training to a second worker"
    )
TRAINING_MAX_QUEUED_RUNS = env_int("TRAINING_MAX_QUEUED_RUNS", 5)
# Directories a run's base_model path must lie in (hub ids and the artifact store's checkpoints
# aside). Empty: any path the workers can read, which a project admin can then name
# (`check --deploy` warns).
MODEL_ROOTS = env_list("MODEL_ROOTS", [])
# A run on several machines (num_machines, training/jobs.py): the address the other machines
# reach this worker's rank 0 at, and how long its worker waits for the other parts to join.
TRAINING_RENDEZVOUS_HOST = env_str("TRAINING_RENDEZVOUS_HOST", socket.getfqdn())
TRAINING_RENDEZVOUS_TIMEOUT = env_int("TRAINING_RENDEZVOUS_TIMEOUT", 600)
# A judge run may ask an OpenAI-compatible endpoint (training/ml/judge_endpoint.py) only at this
# base URL, set here by the site's administrator: never an address a user or project admin typed.
# Empty: no endpoint judges. Its API key, JUDGE_ENDPOINT_KEY, is read by the judging process itself.
JUDGE_ENDPOINT_URL = env_str("JUDGE_ENDPOINT_URL", "")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULE = {
    "reap-stale-runs": {"task": "training.tasks.reap_stale_runs", "schedule": 30.0},
    "dispatch-pending-runs": {"task": "training.tasks.dispatch_pending_runs", "schedule": 30.0},
    "check-retrain-policies": {"task": "training.tasks.check_retrain_policies", "schedule": 60.0},
    "reap-stale-snapshots": {"task": "labeling.tasks.snapshots_reap", "schedule": 300.0},
    "reap-stale-imports": {"task": "labeling.tasks.imports_reap", "schedule": 60.0},
}

# --- cache (login throttling) ---------------------------------------------
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth, API ------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: DRF answers 401 with ``WWW-Authenticate: Token`` only when the first
        # class names a scheme (session authentication names none, so an anonymous call or a bad
        # token got 403), and a request carrying both a token and a session cookie is the
        # token's, with no CSRF check it could fail (a header cannot be forged cross-site).
        "annotation_site.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: form fields are strings, so a form-encoded JSON field ("config=true") reached
    # services as the wrong type. Routes that take uploads (imports) name MultiPart themselves.
    "DEFAULT_PARSER_CLASSES": ["annotation_site.json_parser.BoundedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # No OPTIONS self-description (405): it answered 200 for any id, undocumented in the schema,
    # and the OpenAPI schema at /api/schema/ already describes every route.
    "DEFAULT_METADATA_CLASS": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "annotation_site.api_errors.exception_handler",
    # Checked here: DRF parses it at each failed login, so a typo made every one a 500.
    "DEFAULT_THROTTLE_RATES": {"login": env_rate("LOGIN_THROTTLE_RATE", "10/min")},
    # Proxies in front of the app whose X-Forwarded-For entries are trusted. With DRF's default
    # (None) any client could send a new X-Forwarded-For per attempt and never be throttled.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Preference Studio API",
    "DESCRIPTION": "Collect human preferences over LLM responses; export datasets; train models.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set wherever a field of it appears (a run's status, a flag's reason),
    # rather than a name made from a hash where two fields share it.
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "training.models.RunStatus",
        "FlagReasonEnum": "labeling.models.FlagReason",
    },
}

# --- files ----------------------------------------------------------------
MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 200)
# Uploads above this are imported by a worker on the default queue, with progress (labeling/imports/queued.py).
IMPORT_INLINE_MAX_MB = env_int("IMPORT_INLINE_MAX_MB", 8)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
STATIC_URL = "/static/"
# What `collectstatic` fills and, with DEBUG off, all whitenoise serves. The image sets it outside
# VAR_DIR (Dockerfile), so the files collected at build time are the ones served, whatever volume
# VAR_DIR is on.
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.exists() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# --- production hardening (python manage.py check --deploy) ----------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True


def _security_one_line(record) -> bool:
    """A request Django refuses as suspicious (``django.security.*``: a Host not in ALLOWED_HOSTS,
    which scanners send all day, a malformed body) is the client's fault: one line, no traceback."""
    if record.name.startswith("django.security."):
        record.exc_info = record.exc_text = None
    return True


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"security_one_line": {"()": "django.utils.log.CallbackFilter", "callback": _security_one_line}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["security_one_line"]},
    },
    # Any case (LOG_LEVEL=debug made every process die with "Unable to configure root logger").
    "root": {"handlers": ["console"], "level": env_log_level("LOG_LEVEL", "INFO")},
    # Django's own console handler (DEBUG only) printed every 4xx a second time beside the root's:
    # its records go to the root alone.
    "loggers": {"django": {"handlers": [], "level": "INFO"}},
}
