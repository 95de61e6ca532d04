"""ETags beyond the pre-rendered first page: review detail and later (cursor) pages answer
304 to a matching If-None-Match, and a change to what they show changes the ETag."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import make_user, token_client
from tests.factories import AIModelFactory, ReviewFactory

pytestmark = pytest.mark.django_db


def test_review_detail_has_an_etag_and_answers_304_until_it_changes():
    review = ReviewFactory(published=True)
    client = APIClient()
    path = f"/api/v1/reviews/{review.public_id}/"
    first = client.get(path)
    assert first.status_code == 200
    etag = first["ETag"]
    assert first["Cache-Control"].startswith("public")
    assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304
    # when the review's text changes, the old ETag no longer matches
    review.title = "Changed title"
    review.save(update_fields=["title"])
    changed = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["title"] == "Changed title"


def test_a_signed_in_reader_gets_a_private_etagged_answer():
    author = make_user()
    review = ReviewFactory(author=author)  # pending: only its author sees it
    client = token_client(author)
    path = f"/api/v1/reviews/{review.public_id}/"
    response = client.get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    assert "X-Session-Token" in response["Vary"]
    assert client.get(path, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_a_later_cursor_page_has_an_etag_and_answers_304():
    model = AIModelFactory()
    for _ in range(3):
        ReviewFactory(model=model, published=True)
    client = APIClient()
    first = client.get(f"/api/v1/models/{model.slug}/reviews/?page_size=1").json()
    later_url = first["next"]
    assert later_url and "cursor=" in later_url
    later = client.get(later_url)
    assert later.status_code == 200
    assert len(later.json()["results"]) == 1
    assert client.get(later_url, HTTP_IF_NONE_MATCH=later["ETag"]).status_code == 304
    assert client.get(later_url, HTTP_IF_NONE_MATCH='"other"').status_code == 200
