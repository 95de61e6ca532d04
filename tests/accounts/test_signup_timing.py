"""Sign-up does not tell by its timing whether an address has an account: both paths hash
the password with the production hasher and hand a mail to the worker.

Prints the two medians (20 samples each, interleaved); the bound asserted is generous (a
shared 2-core machine is noisy), the figures are what the issue asks to compare (< 10 %).
"""

import statistics
import time

import pytest

from tests.accounts.conftest import STRONG_PASSWORD, AppClient
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
SAMPLES = 20


def _signup_seconds(email: str) -> float:
    client = AppClient()
    started = time.perf_counter()
    response = client.signup(email, password=STRONG_PASSWORD)
    elapsed = time.perf_counter() - started
    assert response.status_code == 401  # "verify your email" either way
    return elapsed


def test_signup_takes_as_long_for_an_existing_address_as_for_a_new_one(settings):
    # given the production password hasher, and no rate limit in the way of 40 sign-ups
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "1000/m/ip"}
    existing = [make_user().email for _ in range(SAMPLES)]
    _signup_seconds("warm-up@example.org")

    # when each is signed up for, alternating new and existing addresses
    new_times, existing_times = [], []
    for i in range(SAMPLES):
        new_times.append(_signup_seconds(f"new-{i}@example.org"))
        existing_times.append(_signup_seconds(existing[i]))

    # then the medians are close
    new_median = statistics.median(new_times)
    existing_median = statistics.median(existing_times)
    ratio = max(new_median, existing_median) / min(new_median, existing_median)
    print(
        f"\nsignup median over {SAMPLES}: new {new_median * 1000:.0f} ms, "
        f"existing {existing_median * 1000:.0f} ms, ratio {ratio:.3f}"
    )
    assert ratio < 1.5
