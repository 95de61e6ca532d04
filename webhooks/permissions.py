"""Who may manage webhook subscriptions: accounts holding `webhooks.manage_subscriptions`.

Staff grant it in the admin (to an integrator's account or a group); superusers hold every
permission. The integrator's API key is the allauth app session token of that account
(`X-Session-Token`), the same authentication as the rest of the API. Provider managers
(issue 16) will get it through their membership.
"""

from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

PERMISSION = "webhooks.manage_subscriptions"


class CanManageWebhooks(BasePermission):
    message = "This account may not manage webhook subscriptions."
    code = "webhooks_not_allowed"

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(PERMISSION))
