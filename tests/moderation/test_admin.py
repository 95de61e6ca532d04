"""The admin's defects named in issue 20: queue order, names without ids, readable use
cases and fields, the audit log's columns, links a moderator may open, human messages."""

import re

import pytest

from reviews.models import ModerationEvent, Review
from tests.moderation.conftest import UUID, moderator_with_totp, signed_in

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/reviews/review/"


def _row_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'name="_selected_action" value="(\d+)"', html)]


def test_waiting_filter_lists_the_api_queue_oldest_first(queue, moderator_client):
    page = moderator_client.get(CHANGELIST + "?queue=waiting").content.decode()
    # the reported published review is in it too, and the order is the queue's
    assert _row_ids(page) == [queue.new.pk, queue.edited.pk, queue.reported.pk]
    everything = moderator_client.get(CHANGELIST).content.decode()
    assert _row_ids(everything)[:3] == [queue.new.pk, queue.edited.pk, queue.reported.pk]


def test_review_page_reads_in_order_with_links_a_moderator_may_open(queue, moderator_client):
    queue.new.use_cases = ["coding", "agents"]
    queue.new.save()
    page = moderator_client.get(f"/admin/reviews/review/{queue.new.pk}/change/").content.decode()
    assert "Coding, Agents" in page and '["coding"' not in page
    assert page.count(queue.new.body) == 1  # the body once
    headings = re.findall(r'class="fieldset-heading">([^<]+)<', page)
    assert headings[:4] == ["The review", "Who and what", "Moderation", "Dates and counts"]
    for link in re.findall(r'href="(/moderation/(?:authors|models)/[^"]+)"', page):
        assert moderator_client.get(link).status_code == 200
    assert "/admin/accounts/user/" not in page
    assert not re.search(r"\(\d+, pending\)|edit on \d+ by \d+", page)


def test_audit_log_shows_change_and_reason_before_the_long_title(moderator_client):
    page = moderator_client.get("/admin/reviews/moderationevent/").content.decode()
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', page)
    assert headers[:5] == ["created_at", "action", "change", "reason", "actor"]
    assert "Pending moderation → Published (verified)" in page


def test_admin_reject_without_a_reason_says_so_in_words(queue, moderator_client):
    seen = f"seen_revision_{queue.new.pk}"
    data = {"action": "reject", "_selected_action": [queue.new.pk], seen: "1"}
    page = moderator_client.post(CHANGELIST, data, follow=True).content.decode()
    assert "Choose a reason" in page
    assert "validation_error" not in page and not UUID.search(page.split("<body", 1)[1])
    assert Review.objects.get(pk=queue.new.pk).status == "pending"
    assert not ModerationEvent.objects.filter(review=queue.new, action="reject").exists()


def test_admin_tells_a_moderator_without_two_factor_to_set_it_up(db, settings):
    from accounts.services import moderator_grant
    from tests.conftest import make_user

    settings.MODERATION_REQUIRE_MFA = True
    user = make_user()
    moderator_grant(user=user)
    page = signed_in(user).get(CHANGELIST).content.decode()
    assert "Set up an authenticator app" in page
    assert "Only moderators" not in page
    user_with_totp, _ = moderator_with_totp()
    page = signed_in(user_with_totp).get(CHANGELIST).content.decode()
    assert "sign in again" in page
