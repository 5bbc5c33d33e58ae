"""gunicorn settings for Newsroom's app servers: `gunicorn newsroom.wsgi`.

gunicorn reads this file from the working directory. Every value can be changed from the
environment (GUNICORN_*), so one image serves a laptop, a benchmark and a production host.
"""

import multiprocessing
import os

wsgi_app = "newsroom.wsgi:application"

# Local only unless told: an app host behind the load balancer sets GUNICORN_BIND to its
# private address (or "0.0.0.0:8000", or "unix:/run/newsroom.sock" for a local proxy).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# A page costs a few milliseconds of CPU and far less waiting (prepared queries, kept values,
# the page cache), so one single-threaded (sync) worker per core serves the most: measured
# on 2 cores against 2 x cores + 1 workers of 4 threads, uncached pages +35% and cached
# responses +5% with a third of the p99 (bench/README.md). Sync workers answer one request
# at a time: behind a buffering proxy (nginx, a load balancer or CDN that buffers), or set
# GUNICORN_THREADS to 2-4 for threaded workers that also keep connections alive. With the
# database on another host, where requests wait longer, raise GUNICORN_WORKERS (up to
# 2 x cores + 1). Each worker thread holds its own persistent database connection
# (CONN_MAX_AGE), so workers x threads x app servers must stay under PostgreSQL's
# max_connections (or put PgBouncer in between).
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"

# A request slower than this is stuck: the worker is replaced, the client gets a 502/504
# from the proxy instead of waiting forever.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Idle keep-alive connections from the load balancer, which reuses them; above the default 2 s
# so the balancer (usually 60 s idle) does not race a closing socket, below its own timeout.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Recycle workers now and then so a slow leak never grows unbounded, rarely: a worker
# serves up to ~3,000 cached responses a second and a new one starts with no pages of its
# own. At 100,000 (+10%) both workers of the benchmark restarted within the same second
# every ~35 s of cached load, and that row's p99 went from 10 to 126 ms; the wide jitter
# keeps workers from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500000"))

# Load the application once in the master and fork: faster start, shared memory pages.
# Database and cache connections open lazily in each worker, after the fork.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1").lower() in {"1", "true", "yes", "on"}

# Trust X-Forwarded-* only from these addresses (the load balancer); Django reads the scheme
# from X-Forwarded-Proto when DJANGO_BEHIND_PROXY is set.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

# Logs to stdout/stderr for the supervisor (systemd, the container runtime) to collect.
# The access log line adds the response time in microseconds (%(D)s).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(D)sus "%(f)s" "%(a)s"'
