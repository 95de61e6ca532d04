"""The bench's URLconf (config.settings.bench): the whole API plus the two baselines."""

from django.urls import include, path

from bench import views

urlpatterns = [
    # First in the list: the floor pays the least URL resolution Django can (the API's routes
    # come after every earlier include of config.urls, and pay for the ones before them).
    path("bench/floor/<int:size>/", views.floor, name="bench-floor"),
    path("bench/floor-drf/<int:size>/", views.FloorDrfApi.as_view(), name="bench-floor-drf"),
    path(
        "bench/naive/<str:provider>/<str:model>/rating/",
        views.NaiveRatingApi.as_view(),
        name="bench-naive-rating",
    ),
    path("bench/cold/<str:provider>/<str:model>/", views.ColdModelDetailApi.as_view()),
    path("", include("config.urls")),
]
