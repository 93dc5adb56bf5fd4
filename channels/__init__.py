"""Delivery adapters (email over SMTP, SMS over Twilio, widget and web).

Adapters never import Flask or the app: services hand them credentials and rendered text, so the
worker can run them without a request and tests can give them real local peers.
"""
