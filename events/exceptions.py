class PermanentDeliveryError(Exception):
    """Raised by a consumer when retrying cannot help (e.g. an SMTP 5xx reply): the delivery
    is marked failed at once."""
