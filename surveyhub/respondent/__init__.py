"""What a respondent (or Twilio on their behalf) reaches without a login: the hosted page and unsubscribe,
the widget's endpoints and /widget.js, /demo, and /channels/sms."""
