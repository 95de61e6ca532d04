"""gunicorn settings of the production process model (Procfile `web`, deploy/supervisord.conf).

Sync workers: every request is short and bounded (database queries, and at most one Redis
timeout, see config/redis_health.py). The environment may override the address (PORT or
GUNICORN_BIND) and the number of workers (WEB_CONCURRENCY).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# A worker stuck longer than this is killed and replaced by the gunicorn master (a request
# never legitimately takes this long: Redis and SMTP are bounded, mail goes through Celery).
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (slow leaks never accumulate); jitter so they never all
# restart at once.
max_requests = 2000
max_requests_jitter = 200
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Behind a proxy that terminates TLS (see README, Production).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
