"""Helpers for driving allauth's headless API over HTTP, and real server processes."""

import functools
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from django.core import mail
from django.db import connection
from rest_framework.test import APIClient

from config.celery import app as celery_app

PROJECT_DIR = Path(__file__).resolve().parents[2]
APP = "/_allauth/app/v1"
BROWSER = "/_allauth/browser/v1"
STRONG_PASSWORD = "plum-Orbit-47-lantern"
VERIFY_LINK = re.compile(r"/account/verify-email/(?P<key>[^\s/]+)")


class AppClient:
    """allauth's `app` client: sends X-Session-Token, keeps the one each response hands out."""

    def __init__(self) -> None:
        self.http = APIClient()
        self.token: str | None = None

    def request(self, method: str, path: str, data: Any = None) -> Any:
        headers = {"HTTP_X_SESSION_TOKEN": self.token} if self.token else {}
        response = getattr(self.http, method)(path, data, format="json", **headers)
        if response.get("Content-Type", "").startswith("application/json"):
            token = response.json().get("meta", {}).get("session_token")
            if token:
                self.token = token
        return response

    def signup(self, email: str, password: str = STRONG_PASSWORD) -> Any:
        return self.request("post", f"{APP}/auth/signup", {"email": email, "password": password})

    def login(self, email: str, password: str = STRONG_PASSWORD) -> Any:
        return self.request("post", f"{APP}/auth/login", {"email": email, "password": password})


class BrowserClient:
    """allauth's `browser` client: session cookie, and the CSRF token echoed in a header."""

    def __init__(self) -> None:
        self.http = APIClient(enforce_csrf_checks=True)

    def csrf_token(self) -> str:
        if "csrftoken" not in self.http.cookies:
            self.http.get(f"{BROWSER}/config")
        return self.http.cookies["csrftoken"].value

    def request(self, method: str, path: str, data: Any = None, *, csrf: bool = True) -> Any:
        headers = {"HTTP_X_CSRFTOKEN": self.csrf_token()} if csrf else {}
        return getattr(self.http, method)(path, data, format="json", **headers)


def flows(response: Any) -> dict[str, dict]:
    """allauth's `flows` of an authentication response, by id."""
    return {flow["id"]: flow for flow in response.json()["data"].get("flows", [])}


def mails_to(email: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if email in message.to]


def verification_key(email: str) -> str:
    """The key from the last verification link mailed to `email` (URL-decoded, as a frontend
    reads its route parameter)."""
    matches = [VERIFY_LINK.search(str(message.body)) for message in mails_to(email)]
    keys = [unquote(match["key"]) for match in matches if match]
    assert keys, f"no verification link mailed to {email}: {[m.subject for m in mail.outbox]}"
    return keys[-1]


@pytest.fixture
def commit(django_capture_on_commit_callbacks: Callable) -> Iterator[Callable]:
    """`with commit(): client.post(...)` runs the request's on-commit callbacks when it ends.

    Tests run inside a transaction that never commits, so the mail's outbox delivery is
    published by hand-running the callbacks; Celery's eager mode then runs it in this process,
    so the message is in `mail.outbox` at once. The broker path itself is covered by
    test_mail.py.
    """
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield lambda: django_capture_on_commit_callbacks(execute=True)
    finally:
        celery_app.conf.task_always_eager = previous


def wait_for(condition: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s")


# --- Real server processes ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_for_subprocess() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    port = db["PORT"] or "5432"
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{port}/{db['NAME']}"


class Server:
    def __init__(self, port: int, log: Path) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log = log

    def call(
        self, method: str, path: str, data: Any = None, headers: dict | None = None
    ) -> tuple[int, Any]:
        body = json.dumps(data).encode() if data is not None else None
        request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 built above)
            self.base + path,
            data=body,
            method=method.upper(),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return status, json.loads(raw) if raw else None


@contextmanager
def serve(tmp_path: Path, count: int = 1, **env: str) -> Iterator[list[Server]]:
    """`count` separate gunicorn processes serving this project on the test database.

    The test must use `django_db(transaction=True)` so the servers see its rows.
    """
    gunicorn = Path(sys.executable).parent / "gunicorn"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_subprocess(),
        **env,
    }
    servers, processes = [], []
    try:
        for index in range(count):
            port = free_port()
            log = tmp_path / f"server-{index}.log"
            processes.append(
                subprocess.Popen(  # noqa: S603
                    [str(gunicorn), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers=1"],
                    cwd=PROJECT_DIR,
                    env=environment,
                    stdout=log.open("wb"),
                    stderr=subprocess.STDOUT,
                )
            )
            servers.append(Server(port, log))
        for server, process in zip(servers, processes, strict=True):
            wait_for(functools.partial(_ready, server, process), timeout=30)
        yield servers
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _ready(server: Server, process: subprocess.Popen) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"server exited: {server.log.read_text()}")
    try:
        # Also loads the URLconf and allauth, so the first timed request is not a cold start.
        return server.call("get", f"{APP}/config")[0] == 200
    except OSError:
        return False
