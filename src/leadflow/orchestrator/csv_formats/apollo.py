"""Apollo.io's contact export (People → Export → CSV).

Apollo names the person's own city, state and country and the company's separately; the
person's are the time zone's. ``Apollo Contact Id`` is the source id; ``First Phone`` is the
number Apollo ranks first, then the direct, mobile and corporate ones.
"""

from __future__ import annotations

from leadflow.orchestrator.csv_formats._base import CsvFormat, columns, markers

HEADERS = (
    "First Name", "Last Name", "Title", "Company", "Company Name for Emails", "Email", "Email Status",
    "Seniority", "Departments", "Contact Owner", "First Phone", "Work Direct Phone", "Mobile Phone",
    "Corporate Phone", "Stage", "Lists", "Last Contacted", "Account Owner", "# Employees", "Industry",
    "Keywords", "Person Linkedin Url", "Website", "Company Linkedin Url", "Facebook Url", "Twitter Url",
    "City", "State", "Country", "Company Address", "Company City", "Company State", "Company Country",
    "Company Phone", "SEO Description", "Technologies", "Annual Revenue", "Total Funding",
    "Latest Funding", "Latest Funding Amount", "Last Raised At", "Email Sent", "Email Open",
    "Email Bounced", "Replied", "Demoed", "Number of Retail Locations", "Apollo Contact Id",
    "Apollo Account Id",
)
"""The columns of Apollo's export, in its order."""

APOLLO = CsvFormat(
    name="apollo",
    label="Apollo",
    columns=columns(
        first_name=("First Name",),
        last_name=("Last Name",),
        title=("Title",),
        company=("Company",),
        email=("Email",),
        phone=("First Phone", "Work Direct Phone", "Mobile Phone", "Corporate Phone"),
        industry=("Industry",),
        company_domain=("Website",),
        linkedin_url=("Person Linkedin Url",),
        city=("City",),
        region=("State",),
        country=("Country",),
        owner=("Contact Owner",),
        source_lead_id=("Apollo Contact Id",),
    ),
    markers=markers(
        "Apollo Contact Id", "Apollo Account Id", "Company Name for Emails", "Email Status",
        "Person Linkedin Url", "Work Direct Phone", "Corporate Phone", "First Phone", "Seniority",
    ),
)
