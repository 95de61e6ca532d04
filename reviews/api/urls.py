"""Reviews API routes, mounted under /api/v1/. Review ids are UUIDs."""

from django.urls import path

from reviews.api import moderation_views, reply_views, views

app_name = "reviews"
urlpatterns = [
    path(
        "models/<str:provider>/<str:model>/reviews/",
        views.ModelReviewListCreateApi.as_view(),
        name="model-reviews",
    ),
    path("reviews/<uuid:review_id>/", views.ReviewDetailApi.as_view(), name="review-detail"),
    path("reviews/<uuid:review_id>/vote/", views.ReviewVoteApi.as_view(), name="review-vote"),
    path(
        "reviews/<uuid:review_id>/reports/",
        views.ReviewReportCreateApi.as_view(),
        name="review-reports",
    ),
    path(
        "reviews/<uuid:review_id>/reply/",
        reply_views.ReviewReplyApi.as_view(),
        name="review-reply",
    ),
    path(
        "providers/<str:slug>/reply-stats/",
        reply_views.ProviderReplyStatsApi.as_view(),
        name="provider-reply-stats",
    ),
    path(
        "moderation/replies/",
        reply_views.ModerationReplyQueueApi.as_view(),
        name="moderation-replies",
    ),
    path(
        "moderation/replies/<uuid:reply_id>/publish/",
        reply_views.ModerationReplyPublishApi.as_view(),
        name="moderation-reply-publish",
    ),
    path(
        "moderation/replies/<uuid:reply_id>/reject/",
        reply_views.ModerationReplyRejectApi.as_view(),
        name="moderation-reply-reject",
    ),
    path("me/reviews/", views.MyReviewListApi.as_view(), name="me-reviews"),
    path("me/reports/", views.MyReportListApi.as_view(), name="me-reports"),
    path(
        "me/reports/<uuid:review_id>/",
        views.MyReportDetailApi.as_view(),
        name="me-report-detail",
    ),
    path(
        "moderation/queue/", moderation_views.ModerationQueueApi.as_view(), name="moderation-queue"
    ),
    path(
        "moderation/events/",
        moderation_views.ModerationEventListApi.as_view(),
        name="moderation-events",
    ),
    path(
        "moderation/surges/",
        moderation_views.ModerationSurgeListApi.as_view(),
        name="moderation-surges",
    ),
    path(
        "moderation/surges/<int:surge_id>/release/",
        moderation_views.ModerationSurgeReleaseApi.as_view(),
        name="moderation-surge-release",
    ),
    path(
        "moderation/surges/<int:surge_id>/reject/",
        moderation_views.ModerationSurgeRejectApi.as_view(),
        name="moderation-surge-reject",
    ),
    *(
        path(
            f"moderation/reviews/<uuid:review_id>/{action}/",
            view.as_view(),
            name=f"moderation-{action}",
        )
        for action, view in (
            ("verify", moderation_views.ModerationReviewVerifyApi),
            ("reject", moderation_views.ModerationReviewRejectApi),
            ("hide", moderation_views.ModerationReviewHideApi),
            ("restore", moderation_views.ModerationReviewRestoreApi),
            ("verify-usage", moderation_views.ModerationReviewVerifyUsageApi),
        )
    ),
]
