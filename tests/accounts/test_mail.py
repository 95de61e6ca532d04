"""Mail leaves through the Celery worker: real broker, retries, and a broker that is down."""

import logging
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest
from django.core import mail

from accounts.models import User
from accounts.services import mail_send
from accounts.tasks import mail_send_task
from config.documents import generations_bump_now
from tests import broker
from tests.accounts.conftest import (
    APP,
    STRONG_PASSWORD,
    AppClient,
    free_port,
    mails_to,
    serve,
    verification_key,
    wait_for,
)

MESSAGE = {
    "subject": "Hello",
    "body": "Plain text.",
    "html_body": "<p>HTML.</p>",
    "from_email": "noreply@example.org",
    "recipients": ["ada@example.org"],
}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_signup_mail_is_sent_by_a_real_worker_through_the_broker():
    # given a worker consuming the mail queue on the real broker (stale messages dropped)
    broker.purge("mail")
    with broker.in_process_worker(["mail"]):
        # when someone signs up (the request's transaction commits, the task is published)
        app = AppClient()
        assert app.signup("turing@example.org").status_code == 401

        # then the worker delivers the verification mail, and its key verifies the account
        wait_for(lambda: mails_to("turing@example.org"))
    response = app.request(
        "post", f"{APP}/auth/email/verify", {"key": verification_key("turing@example.org")}
    )
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_signup_answers_quickly_when_the_broker_is_down(tmp_path):
    # given a server process whose broker address has nothing listening
    dead_broker = f"redis://127.0.0.1:{free_port()}/0"
    with serve(tmp_path, CELERY_BROKER_URL=dead_broker) as (server,):
        # when someone signs up
        started = time.monotonic()
        status, body = server.call(
            "post",
            f"{APP}/auth/signup",
            {"email": "hopper@example.org", "password": STRONG_PASSWORD},
        )
        elapsed = time.monotonic() - started

    # then the answer is allauth's normal one (verification pending), in well under 2 s
    assert elapsed < 2.0, f"signup took {elapsed:.2f} s with the broker down"
    assert status == 401
    assert {flow["id"] for flow in body["data"]["flows"]} >= {"verify_email"}
    assert User.objects.filter(email="hopper@example.org").exists()
    assert "circuit open" in server.log.read_text()


@pytest.mark.django_db
def test_mail_enqueue_registers_the_publish_after_commit(django_capture_on_commit_callbacks):
    # the request path only registers an on-commit callback; nothing is sent in the request
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        AppClient().signup("lovelace@example.org")
    # (besides the after-commit bump of pre-rendered documents the display name shows in)
    others = [c for c in callbacks if getattr(c, "func", None) is not generations_bump_now]
    assert len(others) == 1
    assert mail.outbox == []


# --- The task against an SMTP server ------------------------------------------------------


class _Smtp(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, reply_to_mail_from: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.reply = reply_to_mail_from
        self.connections = 0


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to answer MAIL FROM with the reply under test."""

    server: _Smtp

    def handle(self) -> None:
        self.server.connections += 1
        self.wfile.write(b"220 test ESMTP\r\n")
        for line in self.rfile:
            command = line.strip().upper()
            if command.startswith(b"MAIL FROM"):
                self.wfile.write(self.server.reply + b"\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp(request: pytest.FixtureRequest, settings) -> Iterator[_Smtp]:
    server = _Smtp(request.param)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.server_address[:2]
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("smtp", [b"451 try again later"], indirect=True)
def test_mail_send_task_retries_a_temporary_smtp_failure(smtp):
    result = mail_send_task.apply(kwargs=MESSAGE)  # eager: retries run at once, in order
    assert result.failed()
    assert smtp.connections == 1 + mail_send_task.max_retries


@pytest.mark.parametrize("smtp", [b"550 no such sender"], indirect=True)
def test_mail_send_task_gives_up_at_once_on_a_permanent_smtp_failure(smtp):
    result = mail_send_task.apply(kwargs=MESSAGE)
    assert result.failed()
    assert smtp.connections == 1


def test_mail_send_task_sends_text_and_html():
    mail_send_task.apply(kwargs=MESSAGE).get()
    [message] = mail.outbox
    assert (message.subject, message.body, message.to) == (
        "Hello",
        "Plain text.",
        MESSAGE["recipients"],
    )
    assert message.alternatives[0].content == "<p>HTML.</p>"


def test_local_file_backend_writes_under_var_mail_and_logs_the_file(settings, tmp_path, caplog):
    settings.EMAIL_BACKEND = "config.mail.LoggingFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    with caplog.at_level(logging.INFO, logger="config.mail"):
        mail_send(**MESSAGE)
    [written] = list((tmp_path / "mail").iterdir())
    assert "Plain text." in written.read_text()
    assert f"mail to ada@example.org written to {written}" in caplog.text
