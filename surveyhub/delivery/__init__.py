"""Delivery: the engine (queue and worker), one module per kind it sends (email, SMS, webhooks), and what
feeds and guards it: invitations, CSV import, suppressions."""
