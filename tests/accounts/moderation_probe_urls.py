"""The project's URLs plus one view guarded like the moderation API will be (issue 4)."""

from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import CanModerate, IsVerified


class ModerationProbeApi(APIView):
    permission_classes = [IsAuthenticated, IsVerified, CanModerate]

    def get(self, request: Request) -> Response:
        return Response({"moderating": True})


urlpatterns = [
    path("probe/moderation/", ModerationProbeApi.as_view()),
    path("", include("config.urls")),
]
