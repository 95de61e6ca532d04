"""The moderator's workbench: a small server-rendered app under /moderation/ (Django
templates, forms with CSRF, a little inline JavaScript for keyboard shortcuts).

An interface like the API and the admin: it reads through `reviews.selectors` (the same
queue selector as `GET /api/v1/moderation/queue/`) and writes through `reviews.services`
and `reviews.integrity.surges`, carrying the revision the page showed so that a text the
author changed meanwhile is never decided unseen.
"""
