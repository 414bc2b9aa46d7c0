"""Reply understanding: from an inbound message to intent, proposed times and referral.

Public API (parsing, trimming, auto-reply and bounce detection live in their own modules
and are used by :func:`analyze_reply`)::

    from leadflow.reply import analyze_reply
    analyze_reply(text="Tuesday at 3pm works", tz="America/New_York").intent  # 'meeting_request'
"""

from __future__ import annotations

from leadflow.reply.analyze import (
    BounceInfo,
    DetailedAnalysis,
    ReplyAnalysis,
    ReplyUnderstanding,
    Understanding,
    analyze_reply,
    analyze_reply_detailed,
)
from leadflow.reply.intent import INTENT_LABELS, Intent, IntentLabel, classify_intent
from leadflow.reply.referral import Referral, extract_referral
from leadflow.reply.times import TimeRange, extract_proposed_times, resolve_datetime_expressions

__all__ = [
    "INTENT_LABELS",
    "BounceInfo",
    "DetailedAnalysis",
    "Intent",
    "IntentLabel",
    "Referral",
    "ReplyAnalysis",
    "ReplyUnderstanding",
    "TimeRange",
    "Understanding",
    "analyze_reply",
    "analyze_reply_detailed",
    "classify_intent",
    "extract_proposed_times",
    "extract_referral",
    "resolve_datetime_expressions",
]
