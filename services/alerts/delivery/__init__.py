"""Alert delivery: the outbox, e-mail (SMTP) and signed webhooks, webhook subscriptions.

Deliveries are written to the ``deliveries`` table (the outbox) in the same transaction
as the incident change that causes them, and sent by :mod:`.worker` at least once: a
receiver drops repeats by the stable delivery id (``X-Doxwatch-Delivery``).
"""
