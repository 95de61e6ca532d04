"""The admin's moderation actions: they carry the revision the moderator read, and need a
second-factor session when MODERATION_REQUIRE_MFA is on."""

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from accounts.services import moderator_grant
from reviews.models import ModerationEvent, Review
from reviews.services import review_update
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/reviews/review/"
EDITED_BODY = "Spam spam spam, buy followers at example.org now, best prices, click the link!"


@pytest.fixture
def admin_moderator() -> tuple[object, Client]:
    user = make_user()
    moderator_grant(user=user)
    client = Client()
    client.force_login(user)
    return user, client


def _seen(client: Client, review: Review) -> str:
    """The revision number the list shows for `review` (what the moderator read)."""
    page = client.get(CHANGELIST).content.decode()
    marker = f'name="seen_revision_{review.pk}" value="'
    assert marker in page
    return page.split(marker, 1)[1].split('"', 1)[0]


def _action(client: Client, review: Review, action: str, seen: str, **extra: str) -> object:
    data = {"action": action, "_selected_action": [review.pk], **extra}
    data[f"seen_revision_{review.pk}"] = seen
    return client.post(CHANGELIST, data, follow=True)


def test_admin_verify_refuses_an_edit_made_after_the_moderator_read(
    admin_moderator, published_review, author
):
    # given a published review with an edit waiting, and a moderator who opened the list
    _, client = admin_moderator
    review_update(review=published_review, author=author, changes={"title": "Better now"})
    seen = _seen(client, published_review)
    assert seen == "2"

    # when the author edits again before the moderator acts, and the moderator verifies
    review_update(review=published_review, author=author, changes={"body": EDITED_BODY})
    response = _action(client, published_review, "verify", seen)

    # then nothing is published, and the admin says to reload
    assert "changed since you opened it; reload" in response.content.decode()
    published_review.refresh_from_db()
    assert published_review.body != EDITED_BODY
    assert (
        not ModerationEvent.objects.filter(review=published_review, action="verify")
        .exclude(revision_number=1)
        .exists()
    )

    # and with the number now shown, the verify goes through
    verified = _action(client, published_review, "verify", _seen(client, published_review))
    assert "1 review(s) verified" in verified.content.decode()
    published_review.refresh_from_db()
    assert published_review.body == EDITED_BODY


def test_admin_reject_carries_the_revision_too(admin_moderator, create_review, author):
    _, client = admin_moderator
    review = create_review(author)
    seen = _seen(client, review)
    review_update(review=review, author=author, changes={"body": EDITED_BODY})
    response = _action(client, review, "reject", seen, reason="spam")
    assert "changed since you opened it; reload" in response.content.decode()
    assert Review.objects.get(pk=review.pk).status == "pending"


def test_admin_action_without_the_seen_revision_is_refused(admin_moderator, create_review, author):
    _, client = admin_moderator
    review = create_review(author)
    response = client.post(
        CHANGELIST, {"action": "verify", "_selected_action": [review.pk]}, follow=True
    )
    assert "reload" in response.content.decode()
    assert Review.objects.get(pk=review.pk).status == "pending"


def test_admin_actions_need_a_second_factor_session(
    admin_moderator, create_review, author, settings
):
    # given MFA required and a moderator with TOTP whose admin session used the password only
    settings.MODERATION_REQUIRE_MFA = True
    user, client = admin_moderator
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    review = create_review(author)

    # when they post the verify action anyway
    _action(client, review, "verify", "1")

    # then nothing happened
    assert Review.objects.get(pk=review.pk).status == "pending"
    assert not ModerationEvent.objects.filter(review=review, action="verify").exists()
