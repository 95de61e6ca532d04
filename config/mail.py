"""Mail backend for `make run`: Django's file backend, plus one log line per message."""

import logging
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend

logger = logging.getLogger(__name__)


class LoggingFileBackend(EmailBackend):
    """Writes each batch to a file under EMAIL_FILE_PATH and says where, so a developer can
    open the verification link without a mail server."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = super().send_messages(email_messages)
        # `_fname` is the file the parent class just wrote (it opens one per connection).
        path = getattr(self, "_fname", self.file_path)
        for message in email_messages:
            logger.info("mail to %s written to %s", ", ".join(message.recipients()), path)
        return sent
