"""Standing: whose reports may hide a review at once, and the facts shown beside a review.

A reporter has standing when the account is at least INTEGRITY_STANDING_MIN_ACCOUNT_DAYS
old, has a published review or an upheld report, and moderators have not dismissed more of
their reports than they upheld. Dismissed reports lower standing, upheld ones raise it: the
rule is recomputed from the reports' states on every report, nothing is stored.

A trusted flagger holds the `reviews.trusted_flagger` permission (the `trusted_flagger`
group, granted by moderators: `manage.py grant_trusted_flagger`, or the admin).
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from reviews.models import Report, Review, ReviewStatus

TRUSTED_FLAGGER_GROUP = "trusted_flagger"
TRUSTED_FLAGGER_PERMISSION = "reviews.trusted_flagger"
AGE_BUCKETS = ("<1 month", "1-12 months", ">1 year")


@dataclass(frozen=True)
class ReporterStanding:
    joined: dt.datetime
    account_days: int
    published_reviews: int
    upheld_reports: int
    dismissed_reports: int

    @property
    def has_standing(self) -> bool:
        return (
            self.account_days >= settings.INTEGRITY_STANDING_MIN_ACCOUNT_DAYS
            and (self.published_reviews > 0 or self.upheld_reports > 0)
            and self.dismissed_reports <= self.upheld_reports
        )


def _count(queryset: QuerySet, outer: str, ref: str = "pk") -> Coalesce:
    """Rows of `queryset` whose `outer` field equals the outer row's `ref`, as a subquery."""
    counted = queryset.filter(**{outer: OuterRef(ref)}).order_by().values(outer)
    counted = counted.annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _standings(user_ids: Iterable[int], now: dt.datetime) -> dict[int, ReporterStanding]:
    reports = Report.objects.all()
    users = User.objects.filter(pk__in=list(user_ids)).annotate(
        published=_count(Review.objects.filter(status=ReviewStatus.PUBLISHED), "author"),
        upheld=_count(reports.filter(state=Report.State.UPHELD), "reporter"),
        dismissed=_count(reports.filter(state=Report.State.DISMISSED), "reporter"),
    )
    return {
        user.pk: ReporterStanding(
            joined=user.date_joined,
            account_days=(now - user.date_joined).days,
            published_reviews=user.published,
            upheld_reports=user.upheld,
            dismissed_reports=user.dismissed,
        )
        for user in users
    }


def reporter_standing_get(user: User, *, now: dt.datetime | None = None) -> ReporterStanding:
    """The person's standing as a reporter, computed now (one query)."""
    return _standings([user.pk], now or timezone.now())[user.pk]


def reporter_standings(user_ids: Iterable[int]) -> dict[int, ReporterStanding]:
    """Each person's standing as a reporter, by user id (one query, whatever their number)."""
    return _standings(user_ids, timezone.now())


def reporters_with_standing(user_ids: Iterable[int]) -> set[int]:
    """Those of `user_ids` who have standing (one query, whatever their number)."""
    standings = _standings(user_ids, timezone.now())
    return {pk for pk, standing in standings.items() if standing.has_standing}


def independent_reporters_with_standing(user_ids: Iterable[int]) -> int:
    """How many of `user_ids` have standing and are independent: accounts created within
    INTEGRITY_RING_JOINED_SECONDS of one already counted count once (a batch of aged
    accounts made together is one voice, not several). One query."""
    window = dt.timedelta(seconds=settings.INTEGRITY_RING_JOINED_SECONDS)
    joined = sorted(
        s.joined for s in _standings(user_ids, timezone.now()).values() if s.has_standing
    )
    counted: list[dt.datetime] = []
    for moment in joined:
        if not counted or moment - counted[-1] > window:
            counted.append(moment)
    return len(counted)


def is_trusted_flagger(user: User) -> bool:
    return user.is_active and user.has_perm(TRUSTED_FLAGGER_PERMISSION)


def any_trusted_flagger(user_ids: Iterable[int]) -> bool:
    """Whether one of these accounts is a trusted flagger (one query, whatever their number):
    the permission through a group or directly, or a superuser; active accounts only."""
    app_label, codename = TRUSTED_FLAGGER_PERMISSION.split(".")
    perm = Q(content_type__app_label=app_label, codename=codename)
    permission = Permission.objects.filter(perm)
    granted = (
        Q(is_superuser=True)
        | Q(groups__permissions__in=permission)
        | Q(user_permissions__in=permission)
    )
    return User.objects.filter(granted, pk__in=list(user_ids), is_active=True).exists()


def _trusted_flagger_group() -> Group:
    group, _ = Group.objects.get_or_create(name=TRUSTED_FLAGGER_GROUP)
    app_label, codename = TRUSTED_FLAGGER_PERMISSION.split(".")
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    group.permissions.add(permission)
    return group


@transaction.atomic
def trusted_flagger_grant(*, user: User) -> bool:
    """Make `user` a trusted flagger; False if they already were."""
    group = _trusted_flagger_group()
    if user.groups.filter(pk=group.pk).exists():
        return False
    user.groups.add(group)
    return True


@transaction.atomic
def trusted_flagger_revoke(*, user: User) -> bool:
    """Take the trusted-flagger role from `user`; False if they did not have it."""
    removed, _ = user.groups.through.objects.filter(
        user_id=user.pk, group__name=TRUSTED_FLAGGER_GROUP
    ).delete()
    return bool(removed)


# --- Reviewer facts, shown beside each review ------------------------------------------


def account_age_bucket(joined: dt.datetime, now: dt.datetime | None = None) -> str:
    """`<1 month`, `1-12 months` or `>1 year`: coarse on purpose (a fact, not a fingerprint)."""
    days = ((now or timezone.now()) - joined).days
    if days < 30:
        return AGE_BUCKETS[0]
    return AGE_BUCKETS[1] if days < 365 else AGE_BUCKETS[2]


def with_reviewer_facts(queryset: QuerySet[Review]) -> QuerySet[Review]:
    """Annotate each review with its author's published review count
    (`author_published_reviews`): one subquery in the list's own query, no query per row."""
    published = Review.objects.filter(status=ReviewStatus.PUBLISHED)
    return queryset.annotate(author_published_reviews=_count(published, "author", "author_id"))


def author_published_reviews(review: Review) -> int:
    """The annotation when the review came through `with_reviewer_facts`, else one query."""
    annotated = getattr(review, "author_published_reviews", None)
    if annotated is not None:
        return annotated
    return Review.objects.filter(author_id=review.author_id, status=ReviewStatus.PUBLISHED).count()


def reporters_hide(reporter_ids: Iterable[int]) -> bool:
    """Whether these distinct open reporters, together, hide a review at once: at least
    INTEGRITY_REPORTERS_TO_HIDE of them have standing and are independent."""
    independent = independent_reporters_with_standing(reporter_ids)
    return independent >= settings.INTEGRITY_REPORTERS_TO_HIDE
