"""`config.api.absolute_url` remembers resolved paths: the answer must stay what `reverse`
gives under every URLconf and script prefix."""

import uuid

from django.test import RequestFactory
from django.urls import reverse, set_script_prefix

from config.api import absolute_url


def test_absolute_url_is_reverse_on_the_request_origin_every_time():
    request = RequestFactory().get("/", HTTP_HOST="testserver")
    ids = [uuid.uuid4() for _ in range(3)]
    for review_id in [*ids, *ids]:  # the second round is answered from the memory
        expected = reverse("reviews:review-detail", kwargs={"review_id": review_id})
        got = absolute_url({"request": request}, "reviews:review-detail", review_id=review_id)
        assert got == f"http://testserver{expected}"


def test_absolute_url_follows_the_script_prefix_and_the_urlconf(settings):
    review_id = uuid.uuid4()
    plain = absolute_url({}, "reviews:review-detail", review_id=review_id)
    set_script_prefix("/under/")
    try:
        prefixed = absolute_url({}, "reviews:review-detail", review_id=review_id)
    finally:
        set_script_prefix("/")
    assert prefixed == plain.replace("/api/", "/under/api/", 1)
    settings.ROOT_URLCONF = "bench.urls"  # another URLconf: resolved afresh
    assert absolute_url({}, "reviews:review-detail", review_id=review_id) == plain
