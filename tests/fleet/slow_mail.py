"""A mail server that takes its time (the outside edge, faked): Django's file backend after a
pause of SLOW_MAIL_SECONDS per message. Used by workers the fleet tests start."""

import os
import time
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        time.sleep(float(os.environ.get("SLOW_MAIL_SECONDS", "1")))
        return super().send_messages(email_messages)
