"""Campaigns the user owns: the campaign file's schema, validation with key paths and lines,
and the plan/apply/export/pause services the CLI and the API share."""

from leadflow.campaigns._load import CampaignFileError, load_text, read_yaml, validate
from leadflow.campaigns.service import Change, Plan, apply, export, plan, set_paused, show, to_yaml
from leadflow.campaigns.spec import TEMPLATE_VARIABLES, CampaignFile, json_schema, problems, to_campaign

__all__ = [
    "TEMPLATE_VARIABLES",
    "CampaignFile",
    "CampaignFileError",
    "Change",
    "Plan",
    "apply",
    "export",
    "json_schema",
    "load_text",
    "plan",
    "problems",
    "read_yaml",
    "set_paused",
    "show",
    "to_campaign",
    "to_yaml",
    "validate",
]
