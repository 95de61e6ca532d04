"""gunicorn settings of the production process model (Procfile `web` and `web_writes`,
deploy/supervisord.conf).

Two pools of the same application (README, "Deployment"): `reads` (GUNICORN_POOL unset) takes
the public reads; `writes` (GUNICORN_POOL=writes) takes allauth's routes (/_allauth/: password
hashing costs 0.4-0.6 s of CPU per sign-up or login) and every unsafe method, as the front
proxy routes them. A burst of logins then queues behind its own few workers instead of in
front of anonymous reads, and its CPU is bounded by the writes pool's size.

Sync workers: every request is short and bounded (database queries, and at most one Redis
timeout, see config/redis_health.py). The environment may override the address (reads: PORT
or GUNICORN_BIND; writes: WRITES_PORT or GUNICORN_WRITES_BIND) and the number of workers
(reads: WEB_CONCURRENCY; writes: WEB_WRITES_CONCURRENCY).
"""

import multiprocessing
import os

POOL = os.environ.get("GUNICORN_POOL", "reads")
CPUS = multiprocessing.cpu_count()
if POOL == "writes":
    bind = os.environ.get("GUNICORN_WRITES_BIND") or (
        f"0.0.0.0:{os.environ.get('WRITES_PORT', '8001')}"
    )
    # Half the cores at most hash passwords at once (at least 2 workers, so one slow login
    # never blocks every write); the rest stay with the reads pool.
    workers = int(os.environ.get("WEB_WRITES_CONCURRENCY", max(2, CPUS // 2)))
else:
    bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
    workers = int(os.environ.get("WEB_CONCURRENCY", CPUS * 2 + 1))
proc_name = f"aimodels-{POOL}"
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
# gunicorn's default line, plus the name of the API key a request came with (config.throttles).
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" key=%({aimodels.api_key}e)s'
)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Behind a proxy that terminates TLS (see README, Production).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
