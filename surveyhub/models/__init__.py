"""Persistence: the tables, their columns and their small invariants."""

from .audit import AUDIT_ACTIONS, AuditEntry
from .cascade import CASCADE_STATUSES, Cascade, CascadeAdvance
from .event import EVENT_TYPES, Event
from .followup import FOLLOW_UP_STATUSES, FollowUp
from .invitation import Invitation
from .org import ApiKey, Org, User
from .queue import DeliveryPause
from .ratelimit import RateLimitCounter
from .respondent import Respondent
from .response import CHANNELS, Answer, Response
from .sms import SmsInbound, SmsMessage, SmsSession
from .stats import AnswerCounter, FunnelCounter, ThemeCounter
from .suppression import Suppression
from .survey import Survey, SurveyVersion
from .theme import Theme, ThemeAnswer, ThemeModel
from .theme_notice import ThemeCampaign, ThemeNotice
from .webhook import WEBHOOK_EVENTS, WebhookDelivery, WebhookEndpoint

__all__ = [
    "AUDIT_ACTIONS", "CASCADE_STATUSES", "CHANNELS", "Cascade", "CascadeAdvance", "EVENT_TYPES", "Answer", "ApiKey",
    "AuditEntry",
    "DeliveryPause", "Event", "FOLLOW_UP_STATUSES", "FollowUp",
    "Invitation", "Org", "RateLimitCounter", "Respondent", "Response", "SmsInbound", "SmsMessage", "SmsSession",
    "Suppression", "Survey", "SurveyVersion",
    "Theme", "ThemeAnswer", "ThemeCampaign", "ThemeModel", "ThemeNotice",
    "User", "AnswerCounter", "FunnelCounter", "ThemeCounter",
    "WEBHOOK_EVENTS", "WebhookDelivery", "WebhookEndpoint",
]
