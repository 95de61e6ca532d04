"""Rating integrity: campaigns cannot move a rating (issue 13).

    standing.py    who may make a report hide a review (reporter standing, trusted
                   flaggers), and the neutral facts shown beside every review
    surges.py      per-model surge detection, the "unusual activity" state, and the
                   moderators' release or rejection of a surge's reviews as a batch
    similarity.py  near-duplicate texts (PostgreSQL pg_trgm) and rings of accounts created
                   together; flags with evidence for moderators, never a rejection

The services of the reviews app call in here at the points where a review or report is
written; this package never imports those services (only `workflow`, the shared steps).
"""
