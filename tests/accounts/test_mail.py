"""Mail leaves through the outbox and the Celery worker: real broker, a real SMTP conversation
with a fake server on a local port, retries, the sweep, and outages of either."""

import logging
import socketserver
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.account.signals import email_confirmation_sent
from django.core import mail
from django.test import Client

from accounts.mail import MAIL_CONSUMER, MAIL_EVENT, mail_queue
from accounts.models import User
from accounts.services import mail_send
from config.documents import generations_bump_now
from events.models import Delivery, Event
from events.services import delivery_attempt, delivery_sweep
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

MESSAGE: dict[str, Any] = {
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
    # (besides the after-commit bump of pre-rendered documents the display name shows in,
    # and the session's cached copy, written once the sign-up commits: config/sessions.py)
    others = [
        c
        for c in callbacks
        if getattr(c, "func", None) is not generations_bump_now
        and "SessionStore" not in getattr(c, "__qualname__", "")
    ]
    assert len(others) == 1
    assert mail.outbox == []


# --- The outbox against an SMTP server (the outside edge, faked on a local port) -----------


class _Smtp(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, reply_to_mail_from: bytes, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _SmtpHandler)
        self.reply = reply_to_mail_from
        self.connections = 0
        self.messages: list[str] = []


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Enough SMTP to answer MAIL FROM with the reply under test, and to take a message
    (DATA) when that reply is 250."""

    server: _Smtp

    def handle(self) -> None:
        self.server.connections += 1
        self.wfile.write(b"220 test ESMTP\r\n")
        for line in self.rfile:
            command = line.strip().upper()
            if command.startswith(b"MAIL FROM"):
                self.wfile.write(self.server.reply + b"\r\n")
            elif command == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                self.server.messages.append(self._message())
                self.wfile.write(b"250 queued\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")

    def _message(self) -> str:
        lines = []
        for line in self.rfile:
            if line.rstrip(b"\r\n") == b".":
                break
            lines.append(line.decode(errors="replace"))
        return "".join(lines)


def _smtp_start(reply: bytes, port: int = 0) -> _Smtp:
    server = _Smtp(reply, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _smtp_stop(server: _Smtp) -> None:
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_settings(settings) -> Any:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    return settings


@pytest.fixture
def smtp(request: pytest.FixtureRequest, smtp_settings) -> Iterator[_Smtp]:
    server = _smtp_start(request.param, smtp_settings.EMAIL_PORT)
    yield server
    _smtp_stop(server)


def _queue_one() -> Delivery:
    mail_queue(**MESSAGE, template_prefix="test/hello")
    return Delivery.objects.get(consumer=MAIL_CONSUMER)


@pytest.mark.parametrize("smtp", [b"451 try again later"], indirect=True)
@pytest.mark.django_db
def test_account_mail_is_retried_after_a_temporary_smtp_failure(smtp):
    # given a queued message and a mail server answering 451
    delivery = _queue_one()
    # when the worker's attempt runs, then the row waits for a retry, with the error
    assert delivery_attempt(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, smtp.connections) == ("pending", 1, 1)
    assert "451" in delivery.last_error


@pytest.mark.parametrize("smtp", [b"550 no such sender"], indirect=True)
@pytest.mark.django_db
def test_account_mail_fails_at_once_on_a_permanent_smtp_failure(smtp):
    delivery = _queue_one()
    assert delivery_attempt(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    assert "550" in delivery.last_error


@pytest.mark.django_db
def test_account_mail_sends_text_and_html(django_capture_on_commit_callbacks):
    delivery = _queue_one()
    assert delivery_attempt(delivery.pk) == "delivered"
    [message] = mail.outbox
    assert (message.subject, message.body, message.to) == (
        "Hello",
        "Plain text.",
        MESSAGE["recipients"],
    )
    assert message.alternatives[0].content == "<p>HTML.</p>"


@pytest.mark.django_db
def test_signup_records_its_verification_mail_in_the_outbox_with_the_account():
    # when someone signs up (nothing is published: the test's transaction never commits)
    AppClient().signup("noether@example.org")

    # then the rendered mail waits in the outbox, beside the account it is about
    [delivery] = Delivery.objects.filter(consumer=MAIL_CONSUMER)
    message = delivery.event.payload
    assert delivery.event.type == MAIL_EVENT and delivery.state == "pending"
    assert message["recipients"] == ["noether@example.org"]
    assert message["template_prefix"] == "account/email/email_confirmation_signup"
    assert "/account/verify-email/" in message["body"]
    assert User.objects.filter(email="noether@example.org").exists()
    assert mail.outbox == []


def _fail_after_the_mail(**_: Any) -> None:
    raise RuntimeError("a write after the verification mail failed")


@pytest.mark.django_db(transaction=True)
def test_a_signup_that_fails_after_its_mail_leaves_neither_account_nor_mail():
    # given a failure in the sign-up's flow after allauth rendered the verification mail
    # (its `email_confirmation_sent` signal comes right after send_mail)
    email_confirmation_sent.connect(_fail_after_the_mail)
    try:
        app = AppClient()
        app.http.raise_request_exception = False
        # when someone signs up
        response = app.signup("germain@example.org")
    finally:
        email_confirmation_sent.disconnect(_fail_after_the_mail)

    # then the answer is a 500, and the request's transaction took the mail with it
    assert response.status_code == 500
    assert not User.objects.filter(email="germain@example.org").exists()
    assert not Event.objects.filter(type=MAIL_EVENT).exists()
    assert not Delivery.objects.exists()
    assert mail.outbox == []


def _smtp_messages_to(server: _Smtp, email: str) -> list[str]:
    return [message for message in server.messages if email in message]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_verification_mail_survives_an_smtp_outage(smtp_settings):
    # given a mail worker on the real broker, short retries, and no mail server listening
    smtp_settings.OUTBOX_RETRY_BASE_SECONDS = 1
    smtp_settings.OUTBOX_RETRY_MAX_SECONDS = 2
    broker.purge("mail")
    with broker.in_process_worker(["mail"]):
        # when someone signs up while SMTP is down
        app = AppClient()
        assert app.signup("kovalevskaya@example.org").status_code == 401

        # then the worker's attempt fails, and the mail waits in the outbox for its retry
        delivery = Delivery.objects.get(consumer=MAIL_CONSUMER)
        wait_for(lambda: _refreshed(delivery).attempts >= 1 and delivery.state == "pending")
        assert "Connection refused" in delivery.last_error

        # when the mail server comes up, then a retry delivers the mail
        server = _smtp_start(b"250 ok", smtp_settings.EMAIL_PORT)
        try:
            wait_for(lambda: _refreshed(delivery).state == "delivered", timeout=30)
            [sent] = _smtp_messages_to(server, "kovalevskaya@example.org")
        finally:
            _smtp_stop(server)
    assert "verify-email/" in sent
    assert delivery.attempts >= 2


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_sweep_sends_a_mail_whose_retry_message_was_lost(smtp_settings):
    # given a queued mail whose first attempt met a mail server that was down, and whose
    # retry message was then lost (the queue emptied: a broker that lost its data)
    smtp_settings.OUTBOX_RETRY_BASE_SECONDS = 0.01
    smtp_settings.OUTBOX_SWEEP_AFTER = 0
    delivery = _queue_one()  # (its own publish went to the queue; the attempt runs here)
    assert delivery_attempt(delivery.pk) == "pending"
    broker.lose("mail")

    # when the mail server is up and a worker runs, then nothing arrives without the sweep
    server = _smtp_start(b"250 ok", smtp_settings.EMAIL_PORT)
    try:
        with broker.in_process_worker(["mail"]):
            time.sleep(1)
            assert (_refreshed(delivery).state, server.messages) == ("pending", [])
            # and once the sweep ran, the worker delivers it
            assert delivery_sweep() == [delivery.pk]
            wait_for(lambda: _refreshed(delivery).state == "delivered")
    finally:
        _smtp_stop(server)
    assert len(_smtp_messages_to(server, "ada@example.org")) == 1


def _refreshed(delivery: Delivery) -> Delivery:
    delivery.refresh_from_db()
    return delivery


def test_local_file_backend_writes_under_var_mail_and_logs_the_file(settings, tmp_path, caplog):
    settings.EMAIL_BACKEND = "config.mail.LoggingFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    with caplog.at_level(logging.INFO, logger="config.mail"):
        mail_send(**MESSAGE)
    [written] = list((tmp_path / "mail").iterdir())
    assert "Plain text." in written.read_text()
    assert f"mail to ada@example.org written to {written}" in caplog.text


@pytest.mark.django_db
def test_the_admin_shows_a_recorded_mail_without_its_key(admin):
    # given a verification mail recorded in the outbox
    AppClient().signup("somerville@example.org")
    event = Event.objects.get(type=MAIL_EVENT)
    key_link = event.payload["body"].split("/account/verify-email/")[1].split()[0]

    # when staff open the event in the admin
    browser = Client()
    browser.force_login(admin.user)
    page = browser.get(f"/admin/events/event/{event.pk}/change/").content.decode()

    # then they see whom it was for, never the link that would verify the address
    assert "somerville@example.org" in page and "(hidden)" in page
    assert key_link not in page
