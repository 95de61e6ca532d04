"""Our allauth account adapter: the edge where allauth's flows call into this project."""

from types import SimpleNamespace
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest

from accounts.exceptions import UserNotFound
from accounts.mail import mail_queue
from accounts.models import User
from accounts.selectors import user_get_by_email
from accounts.services import username_generate
from config.throttles import client_address


def _address_taken(email: str) -> bool:
    return (
        EmailAddress.objects.filter(email__iexact=email).exists()
        or User.objects.filter(email__iexact=email).exists()
    )


def _new_account_work(password: str) -> None:
    """What creating an account costs (the password hash, a user row, an address row), done
    in a savepoint that is rolled back: nothing is stored. The hash is most of it (hundreds
    of milliseconds); the rows are the rest (tens, enough to tell apart without them)."""
    with transaction.atomic():
        decoy = User(username=username_generate())
        decoy.set_password(password)
        decoy.save()
        EmailAddress.objects.create(user=decoy, email=f"{decoy.username}@invalid", primary=True)
        transaction.set_rollback(True)


SITE = SimpleNamespace(name="AI model reviews", domain=settings.FRONTEND_URL.split("://")[-1])


def _user_of(email: str) -> User | None:
    try:
        return user_get_by_email(email)
    except UserNotFound:
        return None


def user_display(user: User) -> str:
    """How allauth names a person (ACCOUNT_USER_DISPLAY: its user payload's `display`, and
    mail): the display name they chose, else their email address; never the generated
    username, which is a handle, not a name."""
    return user.display_name or user.email


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's rate limits count the same address as the API's throttles: X-Forwarded-For
        # only from a trusted proxy peer (allauth alone believes it from anyone).
        return client_address(request)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Render the message in the request and record it in the outbox (accounts.mail), in
        the request's transaction; the mail worker sends it after commit, with retries.

        allauth calls this for verification, password-reset, "account already exists"/"no
        account" and security-notification mail. Rendering here keeps allauth's context (the
        key, the link) where it is made; sending there keeps SMTP out of the request, and
        the row keeps the mail through a broker or SMTP outage.
        """
        # The site is named after the product, not the Host header the request came with.
        ctx = {"request": allauth_context.request, "email": email, "current_site": SITE}
        ctx.update(context)
        # Every mail greets its reader by the name they chose; allauth passes no `user` with
        # some (e.g. "account already exists"), so the address's account is looked up.
        ctx.setdefault("user", _user_of(email))
        message = self.render_mail(template_prefix, email, ctx)
        html_body = ""
        if message.content_subtype == "html":
            html_body, text_body = message.body, ""
        else:
            text_body = message.body
            for content, mimetype in getattr(message, "alternatives", []):
                if mimetype == "text/html":
                    html_body = content
        mail_queue(
            subject=str(message.subject),
            body=text_body,
            html_body=html_body,
            from_email=str(message.from_email),
            recipients=list(message.to),
            template_prefix=template_prefix,
        )

    def send_notification_mail(
        self,
        template_prefix: str,
        user: User,
        context: dict[str, Any] | None = None,
        email: str | None = None,
    ) -> None:
        # Our mail templates greet the person by name: security notices need `user` too.
        context = {"user": user, **(context or {})}
        super().send_notification_mail(template_prefix, user, context, email)

    def clean_email(self, email: str) -> str:
        # Remembered for `clean_password` of the same sign-up (the form cleans the email
        # first): allauth's headless sign-up validates the password without a user.
        request = allauth_context.request
        if request is not None:
            request.signup_email = email
        return super().clean_email(email)

    def clean_password(self, password: str, user: AbstractBaseUser | None = None) -> str:
        """Django's validators, with the user they compare against (allauth's headless
        sign-up passes none, and UserAttributeSimilarityValidator then lets a password like
        the email address through).

        A sign-up for an address that has an account does a new account's work here (see
        `_new_account_work`): both answers then take as long, so the time does not tell who
        has an account (tests/accounts/test_signup_timing.py). Done here, not in the
        "account already exists" mail, which allauth rate-limits per address."""
        email = getattr(allauth_context.request, "signup_email", None)
        if user is None and email:
            if _address_taken(email):
                _new_account_work(password)
            user = User(email=email)
        return super().clean_password(password, user=user)

    def populate_username(self, request: HttpRequest, user: User) -> None:
        """Usernames are generated (`user-…`), never taken from the email address."""
        if not user.username:
            user.username = username_generate()

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys the per-account failed-login counter by the request's host as well.
        # We serve one site: a host in the key would let a client multiply its attempts by
        # varying the Host header (any ALLOWED_HOSTS entry, or a port), and would split the
        # count between processes reached under different addresses.
        return str(credentials.get("email", credentials.get("username", ""))).lower()
