"""Test data."""


def survey_definition(**overrides) -> dict:
    """The contract's example cancel-flow survey (CONTRACT §3), with `overrides` applied."""
    definition = {
        "slug": "cancel-flow",
        "name": "Cancellation exit survey",
        "default_locale": "en",
        "intro": {"en": "Sorry to see you go.", "ms": "Kami sedih anda pergi."},
        "thanks": "Thank you for telling us.",
        "questions": [
            {"id": "reason", "type": "multiple_choice", "text": "Main reason for cancelling?", "required": True,
             "choices": [{"id": "price", "label": "Too expensive"}, {"id": "features", "label": "Missing features"}],
             "multiple": False, "allow_other": True},
            {"id": "satisfaction", "type": "likert", "text": "How satisfied were you?", "scale": 7,
             "labels": {"min": "Very dissatisfied", "max": "Very satisfied"}},
            {"id": "nps", "type": "nps", "text": "How likely are you to recommend us?"},
            {"id": "come_back", "type": "yes_no", "text": "Would you use us again?"},
            {"id": "why_not", "type": "open", "text": "If not, why not?", "required": False, "max_length": 2000,
             "show_if": {"question": "come_back", "equals": False}},
        ],
        "offers": [{"id": "discount", "when": {"question": "reason", "in": ["price"]},
                    "title": "50% off for 3 months?", "body": "Stay for half the price.",
                    "accept_label": "Take the offer", "decline_label": "No thanks, cancel"}],
    }
    definition.update(overrides)
    return definition
