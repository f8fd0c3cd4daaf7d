"""The three reports: contact history, administrator conversion, advertising channels.

Each is an async function `(ReportContext, Period, ...) -> Report`; `render`
turns a report into a terminal table, CSV, JSON or an HTML page. How every
figure is derived is written in each module's docstring and in
`adapter.reports.attribution` (shared rules) and `adapter.reports.base`
(periods and sources).
"""

from adapter.reports.ad_channels import ad_channels
from adapter.reports.admin_conversion import admin_conversion
from adapter.reports.base import Period, Report, ReportContext, period_of
from adapter.reports.contact_history import contact_history
from adapter.reports.render import render

__all__ = [
    "Period",
    "Report",
    "ReportContext",
    "ad_channels",
    "admin_conversion",
    "contact_history",
    "period_of",
    "render",
]
