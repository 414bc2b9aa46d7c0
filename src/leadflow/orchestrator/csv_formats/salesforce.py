"""Salesforce's Leads and Contacts reports (Reports → Export → CSV, "Details Only").

A Leads report names ``Lead ID`` and ``Company``; a Contacts report ``Contact ID`` and
``Account Name`` (and ``Mailing …`` address columns). Either id is the source id. ``Lead
Source`` is Salesforce's own field (where the lead came from), kept as an attribute: the lead's
source is ``salesforce``.
"""

from __future__ import annotations

from leadflow.orchestrator.csv_formats._base import CsvFormat, columns, markers

LEAD_HEADERS = (
    "Lead ID", "First Name", "Last Name", "Title", "Company", "Email", "Phone", "Mobile", "Website",
    "City", "State/Province", "Country", "Industry", "No. of Employees", "Lead Source", "Lead Owner",
)
CONTACT_HEADERS = (
    "Contact ID", "First Name", "Last Name", "Title", "Account Name", "Email", "Phone", "Mobile",
    "Website", "Mailing City", "Mailing State/Province", "Mailing Country", "Industry",
    "No. of Employees", "Lead Source", "Contact Owner",
)
"""The columns of the two reports."""

SALESFORCE = CsvFormat(
    name="salesforce",
    label="Salesforce",
    columns=columns(
        source_lead_id=("Lead ID", "Contact ID"),
        first_name=("First Name",),
        last_name=("Last Name",),
        title=("Title",),
        company=("Company", "Account Name", "Company / Account"),
        email=("Email",),
        phone=("Phone", "Mobile"),
        company_domain=("Website",),
        city=("City", "Mailing City"),
        region=("State/Province", "Mailing State/Province"),
        country=("Country", "Mailing Country"),
        industry=("Industry",),
        owner=("Lead Owner", "Contact Owner", "Owner Name"),
    ),
    markers=markers(
        "Lead ID", "Contact ID", "State/Province", "Mailing State/Province", "No. of Employees",
        "Lead Source", "Lead Owner", "Account Name", "Lead Status", "Mailing Country",
    ),
)
