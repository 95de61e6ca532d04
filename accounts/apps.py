from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        # allauth's rate limits read and write `cache` of this module (the default cache):
        # give them the same cache failing open, so a Redis outage skips the limits instead
        # of failing sign-up and login with a 500 (config/cache.py).
        from allauth.core.internal import ratelimit

        from config.cache import FailOpenCache

        ratelimit.cache = FailOpenCache()

        # The general throttles (config.throttles) read `X-Api-Key` through this lookup.
        from accounts.selectors import api_key_find
        from config.throttles import register_api_key_resolver

        register_api_key_resolver(api_key_find)

        # allauth's mail leaves through the outbox (accounts.mail); a dotted path: the
        # handler loads where deliveries run.
        from accounts.mail import MAIL_CONSUMER, MAIL_EVENT
        from events.registry import consumer_register

        consumer_register(MAIL_CONSUMER, [MAIL_EVENT], "accounts.mail.account_mail")
