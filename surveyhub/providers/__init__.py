"""Endpoints that delivery providers call (Twilio's SMS webhooks), checked by the provider's signature."""
