"""LinkedIn Sales Navigator lead lists, as exported (Sales Navigator has no CSV export of its
own; the common exporters write these columns).

The profile URL (``Sales Navigator Profile URL``, else ``LinkedIn Profile URL``) gives the
source id (its stable part, see ``profile_id``); ``Location`` ("Chicago, Illinois, United
States") is split into city, region and country.
"""

from __future__ import annotations

from leadflow.orchestrator.csv_formats._base import CsvFormat, columns, markers

HEADERS = (
    "First Name", "Last Name", "Full Name", "Job Title", "Company Name", "Company Domain",
    "Company Website", "Email", "Location", "Company Location", "Industry", "Company Size",
    "LinkedIn Profile URL", "Sales Navigator Profile URL", "Connection Degree", "Tenure in Position",
    "Tenure in Company",
)
"""Typical columns of a Sales Navigator lead-list export."""

SALESNAV = CsvFormat(
    name="salesnav",
    label="LinkedIn Sales Navigator",
    columns=columns(
        first_name=("First Name",),
        last_name=("Last Name",),
        full_name=("Full Name", "Name"),
        title=("Job Title", "Title", "Current Title"),
        company=("Company Name", "Company", "Current Company"),
        company_domain=("Company Domain", "Company Website", "Website"),
        email=("Email", "Professional Email"),
        location=("Location", "Geography"),
        industry=("Industry",),
        source_lead_id=("Sales Navigator Profile URL", "Sales Navigator URL", "Lead ID"),
        linkedin_url=("LinkedIn Profile URL", "LinkedIn URL", "Profile URL"),
    ),
    profile_ids=True,
    markers=markers(
        "Sales Navigator Profile URL", "Sales Navigator URL", "LinkedIn Profile URL", "Connection Degree",
        "Tenure in Position", "Tenure in Company", "Company Location", "Full Name", "Location",
    ),
)
