import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_wsgi_application()

# The strict-input table (config.strict) is built from the OpenAPI schema: 1-2 s of CPU.
# Built here, as a worker process boots, instead of inside its first API request, which
# otherwise answered that much later (a verify timed at 2.1-2.6 s on a loaded machine in
# tests/reviews/test_ratings_pipeline.py, of which the request itself took a fraction).
from config.strict import operations  # noqa: E402

operations()
