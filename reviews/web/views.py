"""The workbench's pages. Thin, like the API's views: parse, call one selector or service,
render. Every page needs a moderator who may act in this session (`moderator_page`); every
POST carries Django's CSRF token (CsrfViewMiddleware) and answers with a redirect (303)
or, when the author changed the text meanwhile, the review again with the new text (409).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.exceptions import UserNotFound
from accounts.models import User
from accounts.selectors import user_get_by_username
from config.exceptions import ApplicationError, NotFound
from models_catalog.selectors import model_get_by_slug
from reviews import selectors, services
from reviews.api.moderation_serializers import ModerationQueueFilterInputSerializer
from reviews.exceptions import InvalidTransition, RevisionChanged
from reviews.integrity import surges
from reviews.models import IntegrityFlag, ModelSurge, Review
from reviews.web.access import moderator_page
from reviews.web.cards import REASONS, Card, cards_build, person
from reviews.web.diff import text_diffs, value_changes
from reviews.web.forms import REASON_CHOICES, ActionForm, SurgeActionForm
from reviews.web.messages import human_message

SURGE_CHECKS = {
    "reviews": "New reviews",
    "new_account_reviews": "Reviews by new accounts",
    "reports": "Reports",
}
QUEUE_FILTERS = ("model", "reason", "flag", "surge")
RELOAD = (
    "The author changed the text after this page was loaded, so nothing was done. Reload: "
    "the page now shows the new text; read it, then decide again."
)


@dataclass(frozen=True)
class Action:
    service: Callable[..., Any]
    done: str
    takes_revision: bool = False
    needs_reason: bool = False


ACTIONS = {
    "verify": Action(services.review_verify, "Verified", takes_revision=True),
    "reject": Action(services.review_reject, "Rejected", takes_revision=True, needs_reason=True),
    "hide": Action(services.review_hide, "Hidden", needs_reason=True),
    "restore": Action(services.review_restore, "Restored"),
    "verify-usage": Action(services.review_mark_usage_verified, "Usage verified"),
}


def _review(review_id: uuid.UUID) -> Review:
    try:
        return selectors.moderation_review_get(public_id=review_id)
    except NotFound as error:
        raise Http404(error.message) from error


def _base(request: HttpRequest, **context: Any) -> dict[str, Any]:
    return {"reasons": REASON_CHOICES, "me": request.user, **context}


# --- The queue ---------------------------------------------------------------------------


@require_GET
@moderator_page
def queue(request: HttpRequest) -> HttpResponse:
    """The API's queue (`selectors.moderation_queue`, the same filters, the same order and
    page size), each item with what it waits for, its text and evidence, and its actions."""
    chosen = {k: v for k, v in request.GET.items() if v and k in QUEUE_FILTERS}
    filters = ModerationQueueFilterInputSerializer(data=chosen)
    if not filters.is_valid():
        messages.error(request, "That filter is not one the queue knows; showing everything.")
        chosen, queryset = {}, selectors.moderation_queue()
    else:
        queryset = selectors.moderation_queue(**filters.validated_data)
    paginator = Paginator(queryset, settings.API_DEFAULT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = _base(
        request,
        page=page,
        cards=cards_build(list(page.object_list)),
        here=request.get_full_path(),
        chosen=chosen,
        filters_query=urlencode(chosen),
        flags=IntegrityFlag.Kind.choices,
        open_surges=surges.surge_list(state=ModelSurge.State.OPEN)[:10],
    )
    return render(request, "moderation/queue.html", context)


# --- One review --------------------------------------------------------------------------


def _next_in_queue(request: HttpRequest, after: Review | None) -> Review | None:
    """The item after `after` in the queue's order (else its first), not the moderator's own."""
    items = selectors.moderation_queue().exclude(author_id=request.user.pk)
    if after is not None:
        items = items.exclude(pk=after.pk)
        if after.queued_at is not None:
            later = Q(queued_at__gt=after.queued_at) | Q(queued_at=after.queued_at, id__gt=after.pk)
            return items.filter(later).first() or items.first()
    return items.first()


def _since_seen(review: Review, card: Card, seen: int | None) -> Any:
    """What changed between the revision the moderator read and the text shown now."""
    if not seen or seen == card.revision_number:
        return None
    before = selectors.review_revision_get(review, seen)
    if before is None:
        return None
    return {"texts": text_diffs(before, card.shown), "values": value_changes(before, card.shown)}


def _review_page(
    request: HttpRequest,
    review: Review,
    *,
    status: int = 200,
    error: str = "",
    seen: int | None = None,
) -> HttpResponse:
    card = cards_build([review])[0]
    context = _base(
        request,
        card=card,
        review=review,
        error=error,
        events=selectors.moderation_events_for_review(review),
        next_review=_next_in_queue(request, review),
        back=_back(request),
        here="",
        since_seen=_since_seen(review, card, seen),
    )
    return render(request, "moderation/review.html", context, status=status)


@require_GET
@moderator_page
def review_detail(request: HttpRequest, review_id: uuid.UUID) -> HttpResponse:
    return _review_page(request, _review(review_id))


def _back(request: HttpRequest) -> str:
    """The queue page the moderator came from (a local path only), else the queue."""
    back = request.POST.get("back") or request.GET.get("back") or ""
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts=None):
        return back
    return reverse("moderation:queue")


def _seen_revision(review: Review, posted: int | None) -> int | None:
    """The revision the page showed, checked against what waits now: a page that showed
    nothing waiting (0) is stale once something waits; one that does not say is stale too."""
    if posted is None:
        raise RevisionChanged()
    if posted == 0:
        if review.pending_revisions:
            raise RevisionChanged()
        return None
    return posted


def _after(request: HttpRequest, review: Review, then: str) -> HttpResponse:
    """Where an action leads. `review` is as loaded before the action, so its queue position
    (`queued_at`) still says where "the next item" is."""
    if then == "review":
        target = reverse("moderation:review", args=[review.public_id])
    elif then == "next":
        upcoming = _next_in_queue(request, review)
        if upcoming is None:
            messages.info(request, "The queue is empty. Well done.")
            target = reverse("moderation:queue")
        else:
            target = reverse("moderation:review", args=[upcoming.public_id])
    else:
        target = _back(request)
    return HttpResponseRedirect(target, status=303)


@require_POST
@moderator_page
def review_action(request: HttpRequest, review_id: uuid.UUID, action: str) -> HttpResponse:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action.")
    review = _review(review_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The form was incomplete; nothing was done.")
        return _review_page(request, review, status=400)
    data = form.cleaned_data
    if spec.needs_reason and not data["reason"]:
        what = "rejecting" if action == "reject" else "hiding"
        messages.error(request, f"Choose a reason before {what}; nothing was done.")
        return _review_page(request, review, status=400)
    kwargs: dict[str, Any] = {"review": review, "moderator": request.user, "note": data["note"]}
    if spec.needs_reason:
        kwargs["reason"] = data["reason"]
    try:
        if spec.takes_revision:
            kwargs["revision"] = _seen_revision(review, data["revision"])
        spec.service(**kwargs)
    except RevisionChanged:
        fresh = _review(review_id)
        return _review_page(request, fresh, status=409, error=RELOAD, seen=data["revision"])
    except ApplicationError as error:
        messages.error(request, human_message(error))
        return _review_page(request, _review(review_id), status=error.status_code)
    reason = f" ({REASONS[data['reason']]})" if spec.needs_reason else ""
    messages.success(request, f"{spec.done}{reason}: “{review.title}” by {person(review.author)}.")
    # Marking usage decides nothing about the queue item: stay on it.
    then = "review" if action == "verify-usage" else data["then"] or "queue"
    return _after(request, review, then)


# --- Surges ------------------------------------------------------------------------------


@require_GET
@moderator_page
def surge_list(request: HttpRequest) -> HttpResponse:
    context = _base(request, surges=surges.surge_list()[:100])
    return render(request, "moderation/surges.html", context)


def _surge(surge_id: int) -> ModelSurge:
    try:
        return surges.surge_get(surge_id=surge_id)
    except NotFound as error:
        raise Http404(error.message) from error


@require_GET
@moderator_page
def surge_detail(request: HttpRequest, surge_id: int) -> HttpResponse:
    surge = _surge(surge_id)
    members = list(selectors.moderation_queue(surge=surge.pk))
    checks = [
        {**check, "label": SURGE_CHECKS.get(check.get("name", ""), check.get("name", ""))}
        for check in (surge.evidence or {}).get("checks", [])
    ]
    context = _base(
        request, surge=surge, checks=checks, cards=cards_build(members), here=request.path
    )
    return render(request, "moderation/surge.html", context)


@require_POST
@moderator_page
def surge_action(request: HttpRequest, surge_id: int, action: str) -> HttpResponse:
    surge = _surge(surge_id)
    members = surge.member_count  # type: ignore[attr-defined]  # annotated by surge_list
    moderator = cast(User, request.user)  # signed in: `moderator_page` let them in
    form = SurgeActionForm(request.POST)
    target = reverse("moderation:surge", args=[surge.pk])
    if action not in ("release", "reject") or not form.is_valid():
        raise Http404("No such action.")
    data = form.cleaned_data
    try:
        if action == "release":
            surges.surge_release(surge_id=surge.pk, moderator=moderator, note=data["note"])
            messages.success(request, f"Released: the {members} reviews now count in the rating.")
        else:
            reason = data["reason"] or "spam"
            surges.surge_reject(
                surge_id=surge.pk, moderator=moderator, reason=reason, note=data["note"]
            )
            messages.success(
                request, f"Rejected as a batch ({REASONS[reason]}): {members} reviews."
            )
    except InvalidTransition:
        messages.error(request, "Nothing was done: this surge was released or rejected already.")
    except ApplicationError as error:
        messages.error(request, human_message(error))
    return HttpResponseRedirect(target, status=303)


# --- Where author and model links lead ---------------------------------------------------


def _list_page(request: HttpRequest, title: str, reviews: Any, **extra: Any) -> HttpResponse:
    paginator = Paginator(reviews, settings.API_DEFAULT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    cards = cards_build(list(page))
    context = _base(request, title=title, page=page, cards=cards, here="", **extra)
    return render(request, "moderation/reviews.html", context)


@require_GET
@moderator_page
def author_reviews(request: HttpRequest, username: str) -> HttpResponse:
    try:
        author = user_get_by_username(username)
    except UserNotFound as error:
        raise Http404(error.message) from error
    reviews = selectors.moderation_review_list(author=author)
    return _list_page(request, f"Reviews by {person(author)}", reviews, author=author)


@require_GET
@moderator_page
def model_reviews(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        model = model_get_by_slug(slug)
    except NotFound as error:
        raise Http404(error.message) from error
    reviews = selectors.moderation_review_list(model=model)
    return _list_page(request, f"Reviews of {model.name}", reviews, model=model)
