"""Which settings read a developer's .env, each loaded in a fresh process.

The process records the files django-environ is asked to read instead of reading them, so a
real .env in the checkout neither changes nor is changed by these tests.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_DIR

RECORD_READS = """
import json, environ
read = []
environ.Env.read_env = classmethod(lambda cls, env_file=None, **kwargs: read.append(env_file))
from django.conf import settings
settings.DEBUG
print(json.dumps([str(path) for path in read]))
"""
PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 60,
    "ALLOWED_HOSTS": "reviews.example.org",
    "DATABASE_URL": "postgres://u@db/reviews",
}


def dotenv_reads(module: str, **env: str) -> list[str]:
    result = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", RECORD_READS],
        cwd=PROJECT_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": module, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_production_settings_never_read_dotenv():
    assert dotenv_reads("config.settings.production", **PRODUCTION_ENV) == []


@pytest.mark.parametrize("module", ["config.settings.local", "config.settings.test"])
def test_development_settings_read_dotenv_of_the_project(module):
    assert dotenv_reads(module) == [str(PROJECT_DIR / ".env")]
