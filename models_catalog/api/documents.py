"""The catalog's public documents, pre-rendered in the cache (see config.documents).

What each shows, and so the generations it is kept under:
- model page: the catalog (its data, siblings, successor) and the model's own generation
  (its rating brief and versions with review counts);
- providers: the catalog;
- list pages: the catalog and the list shards of the models shown (each embeds its rating);
  a list ordered by a rating: the catalog and the ratings (any rating can reorder it);
- ranks: the catalog and the model's ranks generation (a stored rating bumps the ranks of
  the models it moved: reviews/ratings/ranks_moved.py);
- cost: the catalog (prices) only;
- price history: the catalog (prices; an alias moving bumps it too);
- charts and comparisons: the catalog and the ratings (they show and rank both);
- the page bundle: all of the above for its model plus the reviewers (its reviews part).
A model page or bundle asked for by an alias or variant is rendered, served, never kept:
it follows the generation of the model the name points at, which the key cannot name.
"""

import re
from collections.abc import Callable, Sequence
from typing import Any

from django.http import HttpRequest
from rest_framework.renderers import JSONRenderer
from rest_framework.serializers import Serializer

from config.documents import (
    CATALOG,
    LIST_SHARD_GENERATIONS,
    RATINGS,
    REVIEWERS,
    Document,
    Uncacheable,
    document_direct,
    document_get,
    document_key,
    document_of,
    document_shows,
    list_shard_generation,
    model_generation,
    model_ranks_generation,
    model_reviews_generation,
    origin,
    render_shared,
)
from config.fast_reads import DirectRead
from models_catalog import compare, registry, selectors
from models_catalog.api.serializers import (
    ChartInputSerializer,
    ChartOutputSerializer,
    CompareInputSerializer,
    CompareOutputSerializer,
    ModelCostOutputSerializer,
    ModelDetailCatalogPartSerializer,
    ModelDetailOutputSerializer,
    ModelRanksOutputSerializer,
    PriceHistoryInputSerializer,
    PriceHistoryOutputSerializer,
    model_detail_slots,
    model_ranks_data,
)
from models_catalog.models import AIModel

# "Common inputs" of the cost calculator: each token count 0 or a power of ten (1K to 1B).
# Only these are kept; any other count is computed on each request (two indexed queries),
# so arbitrary query strings cannot fill the cache.
COMMON_TOKEN_COUNTS = frozenset([0, *(10**n for n in range(3, 10))])
BUNDLE_GENERATIONS = (CATALOG, REVIEWERS)


def json_render(data: object) -> bytes:
    return JSONRenderer().render(data)


def model_detail_document(request: HttpRequest, slug: str) -> Document:
    """The model page (`GET /models/{slug}/`), composed of the catalog's part (kept under
    the catalog's generation alone) and the fields other apps render (the rating brief, what
    reviewers say, the versions: the model's own generation), rendered here: after a rating
    or a review, the page costs one query, not the whole catalog read. Raises ModelNotFound."""

    def render() -> bytes:
        loaded: list[AIModel] = []
        part = _catalog_part(request, slug, loaded)
        # The part's own render loaded the model with the rows the slots read; else 1 query.
        model = loaded[0] if loaded else selectors.model_detail_registered_get(slug)
        slots = model_detail_slots(model, request)
        body = b"".join(
            json_render(slots[piece.decode()]) if i % 2 else piece
            for i, piece in enumerate(_SLOT.split(part))
        )
        if model.slug != slug:
            raise Uncacheable(body)
        return body

    return document_get(*_detail_address(request, slug), render)


def _detail_address(request: HttpRequest, slug: str) -> tuple[str, list[str]]:
    """The model page's key and generations."""
    return document_key("detail", origin(request), slug), [CATALOG, model_generation(slug)]


def model_detail_direct(request: HttpRequest, slug: str) -> DirectRead:
    """The model page's direct read (config.fast_reads): the document model_detail_document
    serves when it is warm."""
    return document_direct(request, *_detail_address(request, slug))


# A slot of the catalog's part as JSON renders it (serializers.SLOT_MARK + the field's name).
_SLOT = re.compile(rb'"\\u0000([a-z_]+)"')


def model_ranks_render(request: HttpRequest, slug: str) -> bytes:
    """Ranks rendered by their serializer (the schema's): what `model_ranks_data` must equal,
    byte for byte (tests)."""
    ranks = selectors.model_ranks_get(slug=slug)
    return json_render(ModelRanksOutputSerializer(ranks, context=_context(request)).data)


def model_detail_render(request: HttpRequest, slug: str) -> bytes:
    """The whole model page rendered at once from the database, as it was before the page
    was composed of parts: what the parts' composition must equal, byte for byte (tests)."""
    model = selectors.model_detail_get(slug)
    return json_render(ModelDetailOutputSerializer(model, context={"request": request}).data)


def _catalog_part(request: HttpRequest, slug: str, loaded: list[AIModel]) -> bytes:
    """The page without what other apps render, with a slot for each such field; kept per
    origin (its links are absolute) and name under the catalog's generation: it shows only
    catalog data (the model's own rows, its family, successor, prices, metrics, routes and
    tiers; an alias moving bumps the catalog too). A render appends the model it loaded
    (`model_detail_get`, which joins the slots' rows too) to `loaded`."""

    def render() -> bytes:
        model = selectors.model_detail_get(slug)
        loaded.append(model)
        context = {"request": request}
        return json_render(ModelDetailCatalogPartSerializer(model, context=context).data)

    key = document_key("detail-catalog", origin(request), slug)
    return document_get(key, [CATALOG], render).body


def model_ranks_body(request: HttpRequest, slug: str) -> bytes:
    """The ranks document's body; a part of the bundle. Raises ModelNotFound."""
    return model_ranks_document(request, slug).body


def model_ranks_document(request: HttpRequest, slug: str) -> Document:
    """Ranks (`GET /models/{slug}/ranks/`), kept per origin (the model reference links)
    under the model's ranks generation, which a stored rating bumps only when it moved this
    model's ranks; an alias's is rendered, not kept (its generation is the model's).
    Raises ModelNotFound."""

    def render() -> bytes:
        # The catalog-wide part is the same for every model's ranks while neither the
        # catalog nor any rating changed: computed once per process and those tokens, not
        # once per model (RATINGS is read for this key only, not kept under).
        ranking = render_shared(
            "catalog-ranking", selectors.catalog_ranking_get, under=(CATALOG, RATINGS)
        )
        ranks = selectors.model_ranks_get(slug=slug, ranking=ranking)
        body = json_render(model_ranks_data(ranks, _context(request)))
        if ranks.model.slug != slug:
            raise Uncacheable(body)
        return body

    return document_get(*_ranks_address(request, slug), render, optional=[RATINGS])


def _ranks_address(request: HttpRequest, slug: str) -> tuple[str, list[str]]:
    # RATINGS is optional: read before the render only to key the shared catalog ranking
    # (render_shared's `under`); a ranks document is kept under its model's ranks generation,
    # which a stored rating bumps when it moved them.
    key = document_key("ranks", origin(request), slug)
    return key, [CATALOG, model_ranks_generation(slug)]


def model_ranks_direct(request: HttpRequest, slug: str) -> DirectRead:
    """The ranks' direct read (config.fast_reads)."""
    return document_direct(request, *_ranks_address(request, slug), optional=[RATINGS])


def model_cost_document(
    request: HttpRequest, slug: str, params: dict[str, int | str | None]
) -> Document:
    """The cost calculator's answer for validated `params`, kept for common inputs only.
    Raises ModelNotFound, PriceUnavailable."""

    def render() -> bytes:
        estimate = selectors.model_cost_estimate(slug=slug, **params)  # type: ignore[arg-type]
        return json_render(ModelCostOutputSerializer(estimate, context=_context(request)).data)

    if not _common_counts(params):  # type: ignore[arg-type]
        return document_of(render())
    parts = [f"{name}={params[name]}" for name in sorted(params)]
    return document_get(document_key("cost", origin(request), slug, *parts), [CATALOG], render)


def _context(request: HttpRequest) -> dict[str, Any]:
    # The request gives the model references' links their origin (documents with links
    # are kept per origin).
    return {"request": request}


def _common_counts(params: dict[str, object]) -> bool:
    return all(value in COMMON_TOKEN_COUNTS for value in params.values() if isinstance(value, int))


def _validated(serializer_class: type[Serializer], request: HttpRequest) -> dict[str, Any]:
    """The request's validated query parameters (400 naming the field otherwise)."""
    serializer = serializer_class(data=request.GET)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _keep_only_known(body: bytes, request: HttpRequest, known: type[Serializer]) -> bytes:
    """`body`, but not kept when the query carries a parameter the endpoint does not read:
    such strings are endless, and the document is kept per exact query string."""
    if set(request.GET) - set(known().fields):
        raise Uncacheable(body)
    return body


# Charts, comparisons and price histories are kept per exact path and query string, and
# their parameters are validated only when a document is rendered: a warm read is one cache
# round trip with no serializer at all (validating cost more than the cache read itself).
# A query that fails validation raises inside the render: a 400, and nothing is kept.


def price_history_document(request: HttpRequest, slug: str) -> Document:
    """A model's price history (`GET /models/{slug}/prices/`). The whole history is kept (per
    origin, an alias's right too, as for ranks); a history narrowed by dates or offering
    is computed per request (two indexed queries), so arbitrary dates cannot fill the cache.
    Raises ModelNotFound, ValidationError."""

    def render() -> bytes:
        params = _validated(PriceHistoryInputSerializer, request)
        history = selectors.model_price_history_get(slug=slug, **params)
        body = json_render(PriceHistoryOutputSerializer(history, context=_context(request)).data)
        if params:
            raise Uncacheable(body)
        return _keep_only_known(body, request, PriceHistoryInputSerializer)

    key = document_key("prices", origin(request), request.get_full_path())
    return document_get(key, [CATALOG], render)


def chart_document(request: HttpRequest) -> Document:
    """A chart (`GET /charts/?category=&measure=`). Raises ValidationError, UnknownMeasure."""

    def render() -> bytes:
        chart = selectors.measure_chart_get(**_validated(ChartInputSerializer, request))
        body = json_render(ChartOutputSerializer(chart, context=_context(request)).data)
        return _keep_only_known(body, request, ChartInputSerializer)

    key = document_key("chart", origin(request), request.get_full_path())
    return document_get(key, [CATALOG, RATINGS], render)


def compare_document(request: HttpRequest) -> Document:
    """A comparison (`GET /compare/?models=`), kept for the common token counts (as the cost
    calculator's); other counts are computed per request. Raises ValidationError,
    ModelNotFound."""

    def render() -> bytes:
        params = _validated(CompareInputSerializer, request)
        comparison = compare.model_compare_get(slugs=params.pop("models"), **params)
        body = json_render(CompareOutputSerializer(comparison, context=_context(request)).data)
        if not _common_counts(params):
            raise Uncacheable(body)
        return _keep_only_known(body, request, CompareInputSerializer)

    key = document_key("compare", origin(request), request.get_full_path())
    return document_get(key, [CATALOG, RATINGS], render)


def list_document(
    request: HttpRequest, kind: str, generations: Sequence[str], render: Callable[[], bytes]
) -> Document:
    """A list page, kept per origin and exact path with query (its links are absolute)."""
    return document_get(_list_key(request, kind), generations, render)


def _list_key(request: HttpRequest, kind: str) -> str:
    return document_key(kind, origin(request), request.get_full_path())


def list_direct(request: HttpRequest, kind: str, generations: Sequence[str]) -> DirectRead:
    """A list page's direct read (config.fast_reads): kept per exact query, and only for a
    query that rendered (a bad one raised and kept nothing), so any query may be looked up."""
    return document_direct(request, _list_key(request, kind), generations)


def model_list_document(
    request: HttpRequest, render: Callable[[], dict[str, Any]], *, by_rating: bool
) -> Document:
    """A page of the model list. Ordered by a rating (`by_rating`), any stored rating can
    change which models it shows: kept under the ratings. Otherwise which models it shows
    is the catalog's, and it shows each one's rating: kept under the list shards of the
    models on it (`config.documents.list_shard_generation`)."""
    key = _list_key(request, "models")
    if by_rating:
        return document_get(key, [CATALOG, RATINGS], lambda: json_render(render()))

    def render_page() -> bytes:
        data = render()
        document_shows(list_shard_generation(item["slug"]) for item in data["results"])
        return json_render(data)

    return document_get(key, [CATALOG], render_page, optional=LIST_SHARD_GENERATIONS)


def model_list_direct(request: HttpRequest, *, by_rating: bool) -> DirectRead:
    """The model list's direct read (config.fast_reads), under what model_list_document
    keeps the page under: the ratings when ordered by one, else the shards it shows."""
    key = _list_key(request, "models")
    if by_rating:
        return document_direct(request, key, [CATALOG, RATINGS])
    return document_direct(request, key, [CATALOG], optional=LIST_SHARD_GENERATIONS)


def page_parts() -> dict[str, registry.PagePart]:
    """What `?include=` may name: ranks (the catalog's own) and the registered parts."""
    return {"ranks": model_ranks_body, **registry.page_part_list()}


def model_page_document(request: HttpRequest, slug: str, include: Sequence[str]) -> Document:
    """The model page with the parts `include` names (known names, in a fixed order), in
    one body: `{...the model page..., "included": {"<part>": <its document>, ...}}`.
    Composed from the parts' own pre-rendered bodies, kept as one document with one ETag.
    Raises ModelNotFound."""
    parts = page_parts()

    def render() -> bytes:
        canonical = selectors.model_get_by_slug(slug, queryset=AIModel.objects.only("slug")).slug
        detail = model_detail_document(request, canonical).body
        included = b",".join(
            b'"%s":%s' % (name.encode(), parts[name](request, canonical)) for name in include
        )
        body = detail[:-1] + b',"included":{' + included + b"}}"
        if canonical != slug:
            raise Uncacheable(body)
        return body

    return document_get(*_page_address(request, slug, include), render)


def _page_address(request: HttpRequest, slug: str, include: Sequence[str]) -> tuple[str, list[str]]:
    key = document_key("page", origin(request), slug, ",".join(include))
    # Its reviews part follows the model's reviews generation too (votes, replies).
    generations = [
        *BUNDLE_GENERATIONS, model_generation(slug), model_reviews_generation(slug),
        model_ranks_generation(slug),
    ]  # fmt: skip
    return key, generations


def model_page_direct(request: HttpRequest, slug: str, include: Sequence[str]) -> DirectRead:
    """The bundle's direct read (config.fast_reads), for known parts in their fixed order."""
    return document_direct(request, *_page_address(request, slug, include))
