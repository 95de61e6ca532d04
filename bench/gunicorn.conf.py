"""gunicorn settings of the benchmark's server (bench/servers.py passes this file).

Without an explicit config gunicorn reads ./gunicorn.conf.py, the production process model's:
its access log on every request and its worker recycling every ~2,000 requests (a fresh
Django import, about a second, many times per wrk run) then dominate the figures. The bench
measures the application; everything else comes from the command line.
"""

accesslog = None
max_requests = 0
