"""Persistence: the tables, their columns and their small invariants."""

from .event import EVENT_TYPES, Event
from .invitation import Invitation
from .org import ApiKey, Org, User
from .queue import DeliveryPause
from .respondent import Respondent
from .response import CHANNELS, Answer, Response
from .sms import SmsInbound, SmsMessage, SmsSession
from .stats import AnswerCounter, FollowUpDone, FunnelCounter
from .suppression import Suppression
from .survey import Survey, SurveyVersion
from .webhook import WEBHOOK_EVENTS, WebhookDelivery, WebhookEndpoint

__all__ = [
    "CHANNELS", "EVENT_TYPES", "Answer", "ApiKey", "DeliveryPause", "Event", "Invitation", "Org", "Respondent",
    "Response", "SmsInbound", "SmsMessage", "SmsSession", "Suppression", "Survey", "SurveyVersion", "User",
    "AnswerCounter", "FollowUpDone", "FunnelCounter", "WEBHOOK_EVENTS", "WebhookDelivery", "WebhookEndpoint",
]
