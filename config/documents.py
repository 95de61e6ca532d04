"""Pre-rendered public documents in the shared cache, invalidated by generation tokens.

A document (a model page, a list page, ranks, a first page of reviews) is rendered once to
bytes with an ETag and kept in the cache together with the tokens of the generations it
depends on (e.g. "catalog", "model:openai/o4-mini"). A read fetches the document and the
current tokens in ONE round trip (`get_many`; a document with many optional generations,
a list page, reads the few it shows in a second one) and serves the document only if every
token it was rendered under is still current; a write bumps the generations it touches (a new random
token), so every document that shows the change stops matching at once, however many keys
(query strings, page sizes) it was stored under.

Why this is race-free without locks: a reader takes the tokens *before* reading the database.
If a change commits after that, its bump (after commit) replaces a token the reader's entry
names, so that entry is never served. Writers bump twice: at once (reads inside the writing
transaction, and tests, see the change) and after commit (the bump correctness rests on: a
reader between the first bump and the commit read the old rows under the new token).

Tokens are random, never counters: a token evicted from the cache and created again can never
equal one an old entry was rendered under. A missing token is created by the reader (`add`).
Documents render from the primary, even with a read replica (config/replica.py says why).
A cache outage falls back to rendering from the database; a bump the cache refused leaves
entries that expire within ENTRY_TIMEOUT (the same bound as the rating cache).
"""

import copy
import functools
import gzip
import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import parse_etags
from rest_framework.exceptions import Throttled

from config.cache import hot_get_many
from config.fast_reads import DirectRead
from config.redis_health import fallback_log
from config.replica import primary_reads
from config.throttles import conditional_take, read_charged

logger = logging.getLogger(__name__)
ENTRY_TIMEOUT = 60  # seconds: bounds an entry only if a bump failed (see above)
# Bumped with Document's fields and with the shapes of the bodies (2: the model reference
# object and absolute links, issue 15; 3: the head beside each document; 4: a review's
# `stars`, provider reference objects; 5: `shown`, the optional generations a document
# depends on): an older release's entries are never read.
ENTRY_FORMAT = 5
GZIP_MIN_LENGTH = 1024  # bytes: smaller bodies gain too little from compression

# Generations. Per model: `model_generation(slug)` (its page and everything below it) and
# `model_reviews_generation(slug)` (its reviews pages only: votes and replies change them and
# nothing else, so they leave the model page warm).
CATALOG = "catalog"  # any catalog write: imports, editor edits, prices, metrics, aliases
RATINGS = "ratings"  # a stored rating of any model (charts, comparisons, lists by rating)
REVIEWERS = "reviewers"  # reviewer bylines and facts shown beside reviews of every model
# A list page shows the rating of each model on it: a stored rating of a model bumps the
# shard of its provider (`list_shard_generation`), and a list page is kept under the shards
# of the models it shows. By provider: a page in slug order shows a few providers' models,
# so a rating elsewhere in the catalog leaves it warm.
LIST_SHARDS = 64


@dataclass(frozen=True)
class Document:
    etag: str  # a strong validator, quoted
    body: bytes
    tokens: tuple[str, ...] = ()  # the generations' tokens it was rendered under
    gzip: bytes | None = None  # the body gzipped once, when at least GZIP_MIN_LENGTH
    # Only the validators (a conditional read whose ETag still matches): `body` and `gzip`
    # are empty; document_response answers it 304 and nothing else reads it.
    head_only: bool = False
    # The optional generations (document_get's `optional`) it shows, whose tokens follow
    # the required ones' in `tokens`.
    shown: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentHead:
    """What a 304 needs of a document, kept beside it (`_head_key`): a conditional read
    fetches these few bytes, not a body of up to some 100 KB pickled."""

    etag: str
    tokens: tuple[str, ...]
    compressible: bool  # the document has a gzip representation (Vary, weak ETag)
    shown: tuple[str, ...] = ()


def _head_key(key: str) -> str:
    return f"{key}:head"


def _none_match_fails(etag: str, if_none_match: str) -> bool:
    """Whether If-None-Match names `etag` (weak comparison, `*`): exactly when Django's
    get_conditional_response answers a GET 304 (django.utils.cache._if_none_match_passes)."""
    etags = parse_etags(if_none_match)
    if not etags:
        return False
    if etags == ["*"]:
        return True
    return etag.strip("W/") in (candidate.strip("W/") for candidate in etags)


def model_generation(slug: str) -> str:
    return f"model:{slug}"


def model_reviews_generation(slug: str) -> str:
    return f"model-reviews:{slug}"


def model_ranks_generation(slug: str) -> str:
    """The model's ranks: bumped by a stored rating that moved them (reviews/ratings)."""
    return f"model-ranks:{slug}"


def list_shard_generation(slug: str) -> str:
    """The list shard of a model (`LIST_SHARDS`): by its provider, the slug's first part."""
    provider = slug.partition("/")[0]
    index = int.from_bytes(hashlib.sha256(provider.encode()).digest()[:4], "big") % LIST_SHARDS
    return f"list-shard:{index}"


LIST_SHARD_GENERATIONS = tuple(f"list-shard:{index}" for index in range(LIST_SHARDS))
# Optional generations read with the document, in its one round trip, up to this many. A
# document with more (a list page: 64 shards, of which it shows a few) reads its required
# tokens with the document, then only the tokens of the ones it shows in a second round trip:
# each token read costs a key and an unpickling (66 keys: ~1.25 ms a read; 3: ~0.28 ms).
OPTIONAL_READ_WITH_DOCUMENT = 4


@dataclass(frozen=True)
class _Plan:
    """Which tokens a read of a document fetches, and when."""

    every: list[str]  # the required generations, then the optional ones
    required: int
    later: bool  # the optional tokens are read after the document, only those it shows

    @classmethod
    def of(cls, generations: Sequence[str], optional: Sequence[str]) -> "_Plan":
        every = [*generations, *(name for name in optional if name not in generations)]
        required = len(generations)
        return cls(every, required, len(every) - required > OPTIONAL_READ_WITH_DOCUMENT)

    @property
    def first(self) -> list[str]:
        """The generations whose tokens are read with the document."""
        return self.every[: self.required] if self.later else self.every


def etag_of(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return f'"{digest.hexdigest()[:32]}"'


def document_of(body: bytes, tokens: tuple[str, ...] = ()) -> Document:
    # Compressed once when rendered (mtime 0: the same body gives the same bytes), so a
    # compressed answer costs no CPU per request.
    # Level 6 (zlib's default), not gzip.compress's 9: on a 35 KB page 0.7 ms, not 1.8 ms,
    # for 0.3 % more bytes; every re-render after a write pays it.
    compressed = (
        gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_MIN_LENGTH else None
    )
    return Document(etag=etag_of(body), body=body, tokens=tokens, gzip=compressed)


def _generation_key(name: str) -> str:
    # Digested: a slug from a URL may hold anything (a key must stay short and printable).
    return f"docgen:{ENTRY_FORMAT}:{hashlib.sha256(name.encode()).hexdigest()[:32]}"


def document_key(kind: str, *parts: str) -> str:
    """The cache key of a document: its kind and a digest of what selects it."""
    digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:40]
    return f"doc:{ENTRY_FORMAT}:{kind}:{digest}"


def _tokens_create(keys: Sequence[str], found: dict[str, object]) -> tuple[str, ...] | None:
    """Create the missing tokens (`add` never replaces a concurrent bump) and read them back;
    None if the cache refuses (then the document is rendered but not kept)."""
    try:
        for key in keys:
            if key not in found:
                cache.add(key, secrets.token_hex(8), None)
        current = cache.get_many(list(keys))
    except Exception:
        fallback_log(logger, "document cache unreachable; tokens not created")
        return None
    tokens = tuple(current.get(key) for key in keys)
    return None if None in tokens else tuple(str(token) for token in tokens)


T = TypeVar("T")
# The generations and tokens of the document being rendered (None outside a render, or when
# the tokens are unknown), and the values renders share under them (one per name: the last).
_rendering: ContextVar[tuple[tuple[str, str], ...] | None] = ContextVar(
    "document_rendering", default=None
)
# The optional generations the document being rendered declared it shows (`document_shows`).
_showing: ContextVar[set[str] | None] = ContextVar("document_showing", default=None)
_shared: dict[str, tuple[tuple[tuple[str, str], ...], object]] = {}


def render_shared(name: str, compute: Callable[[], T], *, under: Sequence[str] = ()) -> T:
    """`compute()`, or its value from an earlier render in this process under the same
    generations and tokens (e.g. the whole catalog's ranking, which every model's ranks
    read). As safe as the documents themselves: the value was read from the database after
    those tokens were, so it is at least as fresh as any document kept under them, and a
    change retires the tokens and so the value. With `under`, only those generations (all
    read before this render, required or optional) key the value: what it depends on, so
    documents with other generations of their own share it. Outside a render (or with the
    cache down) it is computed each time. The value must be treated as read-only."""
    key = _rendering.get()
    if key is not None and under:
        kept = tuple(pair for pair in key if pair[0] in under)
        key = kept if len(kept) == len(set(under)) else None
    if key is None:
        return compute()
    held = _shared.get(name)
    if held is not None and held[0] == key:
        return held[1]  # type: ignore[return-value]
    value = compute()
    _shared[name] = (key, value)
    return value


def document_shows(names: Iterable[str]) -> None:
    """Declare, while rendering, optional generations (document_get's `optional`) the
    document shows: it is kept under their tokens too. Outside a render: nothing."""
    showing = _showing.get()
    if showing is not None:
        showing.update(names)


def _render(
    render: Callable[[], bytes],
    generations: Sequence[str],
    tokens: tuple[str, ...] | None,
    showing: set[str],
) -> bytes:
    shared = _rendering.set(
        None if tokens is None else tuple(zip(generations, tokens, strict=True))
    )
    shows = _showing.set(showing)
    try:
        return render()
    finally:
        _showing.reset(shows)
        _rendering.reset(shared)


def _expected(
    generations: Sequence[str], tokens: tuple[str, ...], required: int, shown: tuple[str, ...]
) -> tuple[str, ...] | None:
    """The tokens a document showing `shown` must carry now (None if one is unknown)."""
    current = dict(zip(generations, tokens, strict=True))
    if any(name not in current for name in shown):
        return None
    return tokens[:required] + tuple(current[name] for name in shown)


def document_get(
    key: str,
    generations: Sequence[str],
    render: Callable[[], bytes],
    *,
    optional: Sequence[str] = (),
) -> Document:
    """The document cached under `key` if rendered under the current tokens of
    `generations`, else `render()` (which may raise: nothing is kept then), kept for the
    next reader. Never raises for a cache failure: renders from the database instead.

    `optional`: generations whose tokens are read (in the same round trip) before every
    render, of which the render declares those it shows (`document_shows`, e.g. the list
    shards of the models on a page, known only once rendered); the document is kept under
    those too. Race-free for the same reason as the required ones: read before the rows."""
    plan = _Plan.of(generations, optional)
    every, required = plan.every, plan.required
    token_keys = [_generation_key(name) for name in every]
    if_none_match = conditional_take()
    if if_none_match is not None:
        head = _head_read(key, plan, if_none_match)
        if head is not None:
            return head
    try:
        # With the throttle's counter, when the view deferred it here (one round trip).
        found = read_charged([key, *token_keys[: len(plan.first)]])
        entry = found.get(key)
        if plan.later:
            if isinstance(entry, Document) and _is_current(entry.tokens, entry.shown, found, plan):
                return entry
            # A miss: every token, read before the rows as always.
            found.update(hot_get_many(token_keys[required:]))
            entry = None
    except Throttled:
        raise
    except Exception:
        fallback_log(logger, "document cache unreachable; rendering from the database")
        try:
            with primary_reads():
                return document_of(render())
        except Uncacheable as uncacheable:
            return document_of(uncacheable.body)
    tokens: tuple[str, ...] | None = tuple(str(found[k]) for k in token_keys if k in found)
    if len(tokens or ()) != len(token_keys):
        tokens = _tokens_create(token_keys, found)
    elif isinstance(entry, Document) and entry.tokens == _expected(
        every, tokens or (), required, entry.shown
    ):
        return entry
    showing: set[str] = set()
    try:
        with primary_reads():  # never from the replica: see config/replica.py
            body = _render(render, every, tokens, showing)
    except Uncacheable as uncacheable:
        return document_of(uncacheable.body)
    shown = tuple(name for name in every[required:] if name in showing)
    kept_tokens = () if tokens is None else _expected(every, tokens, required, shown) or ()
    document = replace(document_of(body, kept_tokens), shown=shown)
    if tokens is not None:
        kept = DocumentHead(document.etag, document.tokens, document.gzip is not None, shown)
        try:
            cache.set_many({key: document, _head_key(key): kept}, ENTRY_TIMEOUT)
        except Exception:
            fallback_log(logger, "document cache unreachable; entry not written")
    return document


def _head_read(key: str, plan: _Plan, if_none_match: str) -> Document | None:
    """A head-only Document when the head kept beside `key` is current and If-None-Match
    names its ETag (the answer is 304); else None, and the caller reads the whole document.
    A conditional request's throttle charge is settled after the answer (none for a 304):
    this read charges nothing."""
    token_keys = [_generation_key(name) for name in plan.first]
    try:
        found = hot_get_many([_head_key(key), *token_keys])
        return _head_found(found, key, plan, if_none_match)
    except Exception:
        return None  # the whole read that follows meets the outage and falls back


def _tokens_found(found: dict[str, object], generations: Sequence[str]) -> tuple[str, ...]:
    # A token missing from the cache reads as "None", which no kept document carries.
    return tuple(str(found.get(_generation_key(name))) for name in generations)


def _is_current(
    carried: tuple[str, ...], shown: tuple[str, ...], found: dict[str, object], plan: _Plan
) -> bool:
    """Whether a document (or its head) rendered under `carried` and showing `shown` is
    current by the tokens in `found` (those of `plan.first`); with `plan.later`, the shown
    ones are read now, after the document: a bump between the two reads is seen, and one
    before the first read retired a token the document carries. May raise (cache down)."""
    if not plan.later:
        tokens = _tokens_found(found, plan.every)
        return carried == _expected(plan.every, tokens, plan.required, shown)
    required = plan.required
    if carried[:required] != _tokens_found(found, plan.every[:required]):
        return False
    if len(carried) != required + len(shown) or not set(shown) <= set(plan.every[required:]):
        return False
    if not shown:
        return True
    more = hot_get_many([_generation_key(name) for name in shown])
    return carried[required:] == _tokens_found(more, shown)


def _head_found(
    found: dict[str, object], key: str, plan: _Plan, if_none_match: str
) -> Document | None:
    head = found.get(_head_key(key))
    if not isinstance(head, DocumentHead) or not _none_match_fails(head.etag, if_none_match):
        return None
    if not _is_current(head.tokens, head.shown, found, plan):
        return None
    compressed = b"" if head.compressible else None
    return Document(
        etag=head.etag, body=b"", tokens=head.tokens, gzip=compressed, head_only=True,
        shown=head.shown,
    )  # fmt: skip


def _current(found: dict[str, object], key: str, plan: _Plan) -> Document | None:
    """The document found under `key` if rendered under the tokens current now, those of the
    required generations and of the optional ones it shows (as document_get judges it)."""
    entry = found.get(key)
    if not isinstance(entry, Document) or not _is_current(entry.tokens, entry.shown, found, plan):
        return None
    return entry


Respond = Callable[[HttpRequest, Document], HttpResponseBase]


def document_direct(
    request: HttpRequest,
    key: str,
    generations: Sequence[str],
    respond: Respond | None = None,
    *,
    optional: Sequence[str] = (),
) -> DirectRead:
    """The direct read (config.fast_reads) of the document `document_get(key, generations,
    ..., optional=optional)` would serve: answered with `respond` (document_response by
    default) when the document is current, a 304 from its head alone; a miss falls back to
    the view. The optional generations' tokens are read in the same round trip, since which
    of them the document shows is known only from the entry; beyond
    OPTIONAL_READ_WITH_DOCUMENT of them, only the shown ones, in a second round trip."""
    answer_with = respond or document_response
    plan = _Plan.of(generations, optional)
    token_keys = [_generation_key(name) for name in plan.first]

    def answer(found: dict[str, object]) -> HttpResponseBase | None:
        try:
            document = _current(found, key, plan)
        except Exception:
            fallback_log(logger, "document cache unreachable; the read falls back")
            return None
        return None if document is None else answer_with(request, document)

    def conditional_answer(found: dict[str, object]) -> HttpResponseBase | None:
        if_none_match = request.META["HTTP_IF_NONE_MATCH"]
        try:
            head = _head_found(found, key, plan, if_none_match)
        except Exception:
            fallback_log(logger, "document cache unreachable; the read falls back")
            return None
        return None if head is None else answer_with(request, head)

    return DirectRead(
        keys=[key, *token_keys],
        answer=answer,
        conditional_keys=[_head_key(key), *token_keys],
        conditional_answer=conditional_answer,
    )


def generations_bump_now(names: Iterable[str]) -> None:
    """Replace the tokens of these generations now (no transaction involved). Never raises."""
    tokens = {_generation_key(name): secrets.token_hex(8) for name in names}
    if not tokens:
        return
    try:
        cache.set_many(tokens, None)
    except Exception:
        fallback_log(logger, "document cache unreachable; generations not bumped")


def generations_bump(names: Iterable[str]) -> None:
    """Invalidate every document rendered under these generations: now, and again after the
    current transaction commits (see the module docstring). Never raises."""
    names = sorted(set(names))
    generations_bump_now(names)
    transaction.on_commit(functools.partial(generations_bump_now, names), robust=True)


class Uncacheable(Exception):
    """Raised by a renderer whose body is right for this request but must not be kept under
    this key (an alias or variant: its documents follow another model's generation)."""

    def __init__(self, body: bytes) -> None:
        super().__init__("not kept")
        self.body = body


# Public documents may be kept by browsers and shared caches for a short while, and served
# stale for a little longer while they revalidate (the ETag makes that a cheap 304).
CACHE_CONTROL = "public, max-age=30, stale-while-revalidate=60"


def origin(request: HttpRequest) -> str:
    """Scheme and host: documents hold absolute links, so they are kept per origin."""
    return f"{request.scheme}://{request.get_host()}"


_ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# What signs a request in (allauth's app token, DRF's Authorization, the session cookie).
_CREDENTIAL_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_X_SESSION_TOKEN")


def _compressible(request: HttpRequest, document: Document) -> bool:
    """gzip only for anonymous requests (BREACH: never compress an answer to a request
    carrying credentials, whose body could hold a secret beside reflected input)."""
    if document.gzip is None:
        return False
    if not _ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
        return False
    if any(request.META.get(header) for header in _CREDENTIAL_HEADERS):
        return False
    return settings.SESSION_COOKIE_NAME not in request.COOKIES


def document_response(
    request: HttpRequest, document: Document, *, content_type: str = "application/json"
) -> HttpResponseBase:
    """The document (gzipped when the client accepts it and is anonymous), or 304 when
    If-None-Match names its ETag; with `ETag`, `Cache-Control` and, for a body that may
    be compressed, `Vary: Accept-Encoding` (the only thing the answer varies on)."""
    compressed = _compressible(request, document)
    # The compressed answer is another representation: a weak ETag (as Django's own
    # GZipMiddleware does), which If-None-Match's weak comparison still matches.
    etag = f"W/{document.etag}" if compressed else document.etag
    response = get_conditional_response(request, etag=etag)
    if response is None:
        if document.head_only:  # never: document_get matched If-None-Match as Django does
            raise RuntimeError("a head-only document without a 304")
        response = HttpResponse(
            document.gzip if compressed else document.body, content_type=content_type
        )
        if compressed:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    if document.gzip is not None:
        patch_vary_headers(response, ["Accept-Encoding"])
    return response


def body_response(request: HttpRequest, body: bytes, *, private: bool) -> HttpResponseBase:
    """A body rendered for this request (not kept), with a strong ETag over it: 304 on a
    matching If-None-Match saves the bytes on the wire, not the rendering. Not compressed
    (that would cost CPU on every request). A private answer (it shows the reader's own
    state) is `private, no-cache`: never kept by a shared cache, revalidated by the browser."""
    response = document_response(request, Document(etag=etag_of(body), body=body))
    if private:
        response["Cache-Control"] = "private, no-cache"
    return response


def subrequest(request: HttpRequest, path: str) -> HttpRequest:
    """A GET of `path` without a query, on the same origin and with nothing else of the
    request (no credentials): how a bundle renders a part exactly as its own URL would."""
    request = getattr(request, "_request", request)  # a DRF Request wraps the HttpRequest
    sub = copy.copy(request)
    sub.path = sub.path_info = path
    sub.method = "GET"
    sub.GET = QueryDict()
    sub.COOKIES = {}
    keep = ("HTTP_HOST", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO", "SERVER_NAME")
    sub.META = {k: v for k, v in request.META.items() if k in keep or k.startswith("wsgi.")}
    sub.META.update(
        {"PATH_INFO": path, "QUERY_STRING": "", "REQUEST_METHOD": "GET",
         "SERVER_PORT": request.META.get("SERVER_PORT", "80")}
    )  # fmt: skip
    return sub
