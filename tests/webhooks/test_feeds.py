"""Atom feeds: valid Atom (RFC 4287's required elements), newest first, text escaped,
ETag and Last-Modified with 304 on a repeated conditional request."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from events.services import outbox_record
from reviews.models import Review
from tests.factories import AIModelFactory
from tests.webhooks.conftest import published_review

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def _model_feed(model) -> str:
    return f"/feeds/models/{model.slug}/reviews.atom"


def _parse(response) -> ET.Element:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own output)
    assert root.tag == f"{ATOM}feed"
    # RFC 4287 4.1.1: a feed has id, title, updated, and an author (or every entry has one)
    for name in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{name}") is not None, name
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "link"):
            assert entry.find(f"{ATOM}{name}") is not None, name
    return root


def _titles(root: ET.Element) -> list[str]:
    return [e.findtext(f"{ATOM}title") or "" for e in root.findall(f"{ATOM}entry")]


def test_model_feed_is_valid_atom_newest_first(client):
    model = AIModelFactory()
    older = published_review(model, title="older")
    newer = published_review(model, title="newer")
    Review.objects.filter(pk=older.pk).update(published_at=timezone.now() - dt.timedelta(days=1))
    published_review(AIModelFactory(), title="other model")

    root = _parse(client.get(_model_feed(model)))

    assert [t.rsplit(" · ", 1)[1] for t in _titles(root)] == ["newer", "older"]
    ids = [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")]
    assert ids[0] == f"urn:uuid:{newer.public_id}"


def test_review_text_is_escaped(client):
    model = AIModelFactory()
    published_review(model, title='<b>bold</b> & "quoted"', body="<script>alert(1)</script> " * 5)
    root = _parse(client.get(_model_feed(model)))
    [entry] = root.findall(f"{ATOM}entry")
    # the title is Atom text: shown as written
    assert entry.findtext(f"{ATOM}title").endswith('<b>bold</b> & "quoted"')
    # the summary is HTML: the review's markup arrives escaped, never as markup
    summary = entry.find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert "&lt;script&gt;" in summary.text and "<script>" not in summary.text


def test_a_repeated_conditional_request_is_a_304(client):
    model = AIModelFactory()
    published_review(model)
    first = client.get(_model_feed(model))
    assert first.has_header("ETag") and first.has_header("Last-Modified")

    again = client.get(_model_feed(model), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    since = client.get(_model_feed(model), HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304

    # a new review changes the feed: the old ETag no longer matches
    published_review(model, title="fresh")
    changed = client.get(_model_feed(model), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200


def test_provider_feed_lists_reviews_of_the_providers_models(client):
    model = AIModelFactory()
    sibling = AIModelFactory(provider=model.provider)
    published_review(model, title="one")
    published_review(sibling, title="two")
    published_review(AIModelFactory(), title="elsewhere")
    root = _parse(client.get(f"/feeds/providers/{model.provider.slug}/reviews.atom"))
    assert sorted(t.rsplit(" · ", 1)[1] for t in _titles(root)) == ["one", "two"]


def test_rating_change_feed_lists_rating_changed_events_newest_first(client):
    first, second = AIModelFactory(), AIModelFactory()
    values = {"review_count": 3, "average": 4.0, "bayesian_average": 3.9, "lower_bound": 0.7}
    outbox_record("rating.changed", {"model_id": first.pk, **values})
    outbox_record("rating.changed", {"model_id": second.pk, **values, "review_count": 4})
    root = _parse(client.get("/feeds/ratings.atom"))
    titles = _titles(root)
    assert titles == [f"{second.name}: 3.9 (4 reviews)", f"{first.name}: 3.9 (3 reviews)"]


def test_unknown_model_or_provider_is_a_404(client):
    assert client.get("/feeds/models/nope/nothing/reviews.atom").status_code == 404
    assert client.get("/feeds/providers/nope/reviews.atom").status_code == 404
