"""The workbench's pages through Django's test client: the same queue as the API, the
revision check, access rules, CSRF and readable text."""

import re

import pytest
from django.test import Client

from accounts.services import moderator_grant
from reviews.models import ModerationEvent, Review
from reviews.services import review_update
from reviews.web.diff import words_diff
from tests.conftest import make_user, token_client
from tests.moderation.conftest import BODY, UUID, moderator_with_totp, signed_in

pytestmark = pytest.mark.django_db
QUEUE = "/moderation/"


def _queue_ids(html: str) -> list[str]:
    return re.findall(r'data-item data-review-id="([0-9a-f-]+)"', html)


def _visible_text(html: str) -> str:
    """What a person reads: tags, attributes and the inline script removed."""
    html = re.sub(r"<script.*?</script>|<style.*?</style>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_queue_page_lists_the_api_queue_items_in_the_same_order(queue, moderator_client):
    page = moderator_client.get(QUEUE)
    api = token_client(queue.moderator).get("/api/v1/moderation/queue/").json()
    assert page.status_code == 200
    expected = [str(r.public_id) for r in (queue.new, queue.edited, queue.reported)]
    assert [item["id"] for item in api["results"]] == expected
    assert _queue_ids(page.content.decode()) == expected


def test_queue_page_and_api_agree_on_filters_and_pages(queue, settings, moderator_client):
    settings.API_DEFAULT_PAGE_SIZE = 2
    api = token_client(queue.moderator)
    for query in ("", "?model=openai/o4-mini", "?reason=spam"):
        html = moderator_client.get(QUEUE + query).content.decode()
        body = api.get("/api/v1/moderation/queue/" + query).json()
        assert _queue_ids(html) == [item["id"] for item in body["results"]], query
    # the workbench numbers its pages; the API's second page is the first page's `next` link
    second = api.get(api.get("/api/v1/moderation/queue/").json()["next"]).json()["results"]
    assert second
    html = moderator_client.get(QUEUE + "?page=2").content.decode()
    assert _queue_ids(html) == [item["id"] for item in second]


def test_queue_page_reads_as_words_without_ids_or_codes(moderator_client):
    text = _visible_text(moderator_client.get(QUEUE).content.decode())
    for words in ("New review", "Edit of a published review", "Reported", "Ada Lovelace",
                  "o4 Mini", "Spam", "An ad.", "published review"):  # fmt: skip
        assert words in text, words
    assert not UUID.search(text)
    assert "validation_error" not in text and "['" not in text


def test_edit_shows_a_word_diff_and_highlights_rating_changes(queue, moderator_client):
    html = moderator_client.get(f"/moderation/reviews/{queue.edited.public_id}/")
    page = html.content.decode()
    assert "<del>fast,</del><ins>very slow,</ins>" in page
    assert re.search(r'<tr class="changed"><td>stars</td><td>4/5</td><td>2/5</td>', page)
    assert re.search(r'<tr class="changed"><td>speed</td><td>3/5</td><td>1/5</td>', page)
    assert re.search(r'<tr class=""><td>quality</td><td>4/5</td><td>4/5</td>', page)


def test_words_diff_keeps_the_text_and_marks_words():
    segments = words_diff("one two three", "one 2 three four")
    assert "".join(t for op, t in segments if op != "removed") == "one 2 three four"
    assert "".join(t for op, t in segments if op != "added") == "one two three"
    assert ("removed", "two") in segments and ("added", "2") in segments


def test_verify_of_a_text_changed_since_the_page_is_409_and_publishes_nothing(
    queue, moderator_client
):
    shown = moderator_client.get(QUEUE).content.decode()
    assert 'name="revision" value="2"' in shown  # the edit waiting on `edited`
    author = queue.authors[1]
    review_update(review=queue.edited, author=author, changes={"body": "Spam " * 30})
    url = f"/moderation/reviews/{queue.edited.public_id}/verify/"
    response = moderator_client.post(url, {"revision": "2", "then": "queue"})
    assert response.status_code == 409
    assert "The author changed the text" in response.content.decode()
    page = response.content.decode()
    assert "Spam Spam" in page  # the new text, for reading
    assert "What the author changed since you read it" in page
    assert "<del>I</del>" in page and "<ins>Spam</ins>" in page
    queue.edited.refresh_from_db()
    assert queue.edited.body == BODY and queue.edited.has_pending_edit
    verified = ModerationEvent.objects.filter(review=queue.edited, action="verify")
    assert not verified.filter(revision_number=3).exists()


def test_verify_without_the_revision_shown_decides_nothing(queue, moderator_client):
    response = moderator_client.post(f"/moderation/reviews/{queue.new.public_id}/verify/", {})
    assert response.status_code == 409
    assert Review.objects.get(pk=queue.new.pk).status == "pending"


def test_verify_and_open_next_goes_to_the_next_item(queue, moderator_client):
    url = f"/moderation/reviews/{queue.new.public_id}/verify/"
    response = moderator_client.post(url, {"revision": "1", "then": ["review", "next"]})
    assert response.status_code == 303
    assert response["Location"] == f"/moderation/reviews/{queue.edited.public_id}/"
    assert Review.objects.get(pk=queue.new.pk).status == "published"
    page = moderator_client.get(response["Location"]).content.decode()
    assert "Verified: “Fast and cheap” by Ada Lovelace." in page


def test_reject_needs_a_reason(queue, moderator_client):
    url = f"/moderation/reviews/{queue.new.public_id}/reject/"
    refused = moderator_client.post(url, {"revision": "1"})
    assert refused.status_code == 400
    assert "Choose a reason" in refused.content.decode()
    assert Review.objects.get(pk=queue.new.pk).status == "pending"
    done = moderator_client.post(
        url, {"revision": "1", "reason": "off_topic", "note": "Not a review."}
    )
    assert done.status_code == 303
    event = ModerationEvent.objects.get(review=queue.new, action="reject")
    assert (event.reason, event.note) == ("off_topic", "Not a review.")


def test_moderator_cannot_act_on_their_own_review_and_is_told_in_words(queue, moderator_client):
    mine = queue.new
    mine.author = queue.moderator
    mine.save()
    page = moderator_client.get(f"/moderation/reviews/{mine.public_id}/").content.decode()
    assert "Your own review" in page
    response = moderator_client.post(
        f"/moderation/reviews/{mine.public_id}/verify/", {"revision": "1"}
    )
    assert response.status_code == 403
    assert "another moderator will decide" in response.content.decode()
    assert "cannot_moderate_own_review" not in response.content.decode()


def test_every_post_needs_the_csrf_token(queue):
    client = Client(enforce_csrf_checks=True)
    client.force_login(queue.moderator)
    response = client.post(f"/moderation/reviews/{queue.new.public_id}/verify/", {"revision": "1"})
    assert response.status_code == 403
    assert Review.objects.get(pk=queue.new.pk).status == "pending"


def test_signed_out_people_are_sent_to_sign_in(db):
    response = Client().get(QUEUE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/moderation/")


def test_people_who_are_not_moderators_are_refused(db):
    response = signed_in(make_user()).get(QUEUE)
    assert response.status_code == 403
    assert "This workbench is for moderators" in response.content.decode()


def test_moderator_without_a_second_factor_is_told_to_set_it_up(db, settings):
    settings.MODERATION_REQUIRE_MFA = True
    user = make_user()
    moderator_grant(user=user)
    response = signed_in(user).get(QUEUE)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Set up an authenticator app" in page
    assert "Only moderators" not in page


def test_password_only_session_of_a_totp_moderator_is_told_to_sign_in_with_the_code(db, settings):
    settings.MODERATION_REQUIRE_MFA = True
    user, _ = moderator_with_totp()
    response = signed_in(user).get(QUEUE)
    assert response.status_code == 403
    assert "sign in again" in response.content.decode()


def test_author_and_model_links_lead_to_pages_a_moderator_may_see(queue, moderator_client):
    page = moderator_client.get(f"/moderation/reviews/{queue.new.public_id}/").content.decode()
    author = re.search(r'href="(/moderation/authors/[^"]+)"', page).group(1)
    model = re.search(r'href="(/moderation/models/[^"]+)"', page).group(1)
    by_author = moderator_client.get(author)
    assert by_author.status_code == 200 and "Reviews by Ada Lovelace" in by_author.content.decode()
    of_model = moderator_client.get(model)
    assert of_model.status_code == 200 and "Reviews of o4 Mini" in of_model.content.decode()
    assert "Solid" in of_model.content.decode()


def test_queue_filter_form_with_blank_fields_lists_everything(queue, moderator_client):
    html = moderator_client.get(QUEUE + "?model=&reason=&flag=").content.decode()
    assert len(_queue_ids(html)) == 3
    assert "not one the queue knows" not in html
    refused = moderator_client.get(QUEUE + "?flag=nonsense").content.decode()
    assert "not one the queue knows" in refused and len(_queue_ids(refused)) == 3


def test_hide_a_reported_review_then_restore_it(queue, moderator_client):
    base = f"/moderation/reviews/{queue.reported.public_id}/"
    hidden = moderator_client.post(
        base + "hide/", {"revision": "0", "reason": "spam", "then": "review"}
    )
    assert hidden.status_code == 303 and hidden["Location"] == base
    assert Review.objects.get(pk=queue.reported.pk).status == "hidden"
    page = moderator_client.get(base).content.decode()
    assert "Hidden (Spam): “Buy my course” by Cy Coder." in page and "Restore" in page
    restored = moderator_client.post(base + "restore/", {"revision": "0"})
    assert restored.status_code == 303
    assert Review.objects.get(pk=queue.reported.pk).status == "published"


def test_surge_batch_rejected_from_its_page(queue, settings, moderator_client):
    from reviews.models import ModelSurge
    from reviews.services import review_create
    from tests.moderation.conftest import draft

    settings.INTEGRITY_SURGE_MIN_REVIEWS = 3
    wave = [
        review_create(author=make_user(), model=queue.new.model, draft=draft(title=f"W{n}"))
        for n in range(2)
    ]
    surge = ModelSurge.objects.get(model=queue.new.model)
    page = moderator_client.get(f"/moderation/surges/{surge.pk}/").content.decode()
    assert all(str(r.public_id) in page for r in wave)
    done = moderator_client.post(
        f"/moderation/surges/{surge.pk}/reject/", {"reason": "spam"}, follow=True
    )
    assert "Rejected as a batch (Spam)" in done.content.decode()
    surge.refresh_from_db()
    assert surge.state == "rejected"
    assert {r.status for r in Review.objects.filter(surge=surge)} <= {"rejected", "hidden"}
    again = moderator_client.post(f"/moderation/surges/{surge.pk}/release/", {}, follow=True)
    assert "released or rejected already" in again.content.decode()


def test_queue_page_queries_do_not_grow_with_the_items(queue, moderator_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reviews.services import report_create, review_create, review_verify
    from tests.moderation.conftest import draft

    moderator_client.get(QUEUE)  # warm the session and permission caches alike
    with CaptureQueriesContext(connection) as first:
        moderator_client.get(QUEUE)
    for n in range(3):  # one more of each kind: new, reported (with reporters), edited
        author = make_user()
        review = review_create(
            author=author, model=queue.reported.model, draft=draft(title=f"N{n}")
        )
        if n:
            review_verify(review=review, moderator=queue.moderator)
            report_create(review=review, reporter=make_user(), reason="abusive", note="Rude.")
        if n == 2:
            review_update(review=review, author=author, changes={"rating": 1})
    with CaptureQueriesContext(connection) as second:
        html = moderator_client.get(QUEUE).content.decode()
    assert len(_queue_ids(html)) == 6
    assert len(second.captured_queries) == len(first.captured_queries)


def test_people_who_are_not_moderators_cannot_post_actions(queue):
    response = signed_in(make_user()).post(
        f"/moderation/reviews/{queue.new.public_id}/verify/", {"revision": "1"}
    )
    assert response.status_code == 403
    assert Review.objects.get(pk=queue.new.pk).status == "pending"
    surge_post = signed_in(make_user()).post("/moderation/surges/1/release/", {})
    assert surge_post.status_code == 403


def test_back_never_leads_off_the_site(queue, moderator_client):
    url = f"/moderation/reviews/{queue.new.public_id}/verify/"
    response = moderator_client.post(url, {"revision": "1", "back": "https://evil.example/"})
    assert (response.status_code, response["Location"]) == (303, "/moderation/")


def test_mark_usage_verified_stays_on_the_review(queue, moderator_client):
    base = f"/moderation/reviews/{queue.reported.public_id}/"
    assert "Mark usage verified" in moderator_client.get(base).content.decode()
    done = moderator_client.post(
        base + "verify-usage/", {"revision": "0", "then": ["review", "next"]}
    )
    assert (done.status_code, done["Location"]) == (303, base)
    assert Review.objects.get(pk=queue.reported.pk).usage_verified
    assert ModerationEvent.objects.filter(review=queue.reported, action="verify_usage").exists()
