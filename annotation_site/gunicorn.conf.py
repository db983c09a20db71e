"""gunicorn settings for ``scripts/serve.sh`` (what ``scripts/demo.sh`` runs), compose's ``web``
and the image's default command: ``gunicorn -c annotation_site/gunicorn.conf.py``, the same
everywhere, so ``WEB_WORKERS`` / ``WEB_THREADS`` act in production too.

Each thread of each worker keeps one database connection open for ``CONN_MAX_AGE``, so the
process holds at most ``WEB_WORKERS x WEB_THREADS`` connections whatever the number of
clients: 2 x 4 = 8 by default, far below PostgreSQL's default limit of 100. (Django's
``runserver`` starts a thread per browser connection and each kept its own database connection:
three annotators exhausted PostgreSQL within a minute.)
"""

from annotation_site.env import env_int

# 0 or fewer started a gunicorn that served nothing (a master with no workers): refused, naming the variable
workers = env_int("WEB_WORKERS", 2, minimum=1)
threads = env_int("WEB_THREADS", 4, minimum=1)
worker_class = "gthread"
timeout = 120  # an import of a large file is one request
graceful_timeout = 10  # below compose web's stop_grace_period (30 s)
keepalive = 5
