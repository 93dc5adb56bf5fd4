"""Responses: the response engine and each channel's respondent-facing flow (hosted, widget, SMS, unsubscribe)."""
