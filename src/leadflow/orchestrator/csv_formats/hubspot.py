"""HubSpot's contacts export (Contacts → Export view; the default properties).

``Record ID`` is the source id; ``State/Region`` and ``Country/Region`` carry the place;
``Time Zone`` is HubSpot's own zone property (an IANA name is used as given; anything else is
kept and the zone derived).
"""

from __future__ import annotations

from leadflow.orchestrator.csv_formats._base import CsvFormat, columns, markers

HEADERS = (
    "Record ID", "First Name", "Last Name", "Email", "Phone Number", "Job Title", "Company Name",
    "Website URL", "City", "State/Region", "Country/Region", "Time Zone", "Industry",
    "Number of Employees", "Lifecycle Stage", "Contact owner",
)
"""The columns of a default HubSpot contacts export."""

HUBSPOT = CsvFormat(
    name="hubspot",
    label="HubSpot",
    columns=columns(
        source_lead_id=("Record ID", "Contact ID"),
        first_name=("First Name",),
        last_name=("Last Name",),
        email=("Email",),
        phone=("Phone Number", "Mobile Phone Number"),
        title=("Job Title",),
        company=("Company Name", "Associated Company"),
        company_domain=("Website URL", "Company Domain Name"),
        city=("City",),
        region=("State/Region",),
        country=("Country/Region",),
        timezone=("Time Zone",),
        industry=("Industry",),
        owner=("Contact owner",),
    ),
    markers=markers(
        "Record ID", "State/Region", "Country/Region", "Lifecycle Stage", "Contact owner", "Website URL",
        "Phone Number", "Lead Status", "Create Date",
    ),
)
