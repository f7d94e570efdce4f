"""The leaders' dashboard (/dashboard/): headline figures with 同比, chart series and the
department league table, for one period and the viewer's scope.

Everything is counted in SQL — filtered aggregates and GROUP BY, a fixed number of queries
whatever the data size — over the same `visible_to(user)` querysets the ledger and the lists
use, so every figure carries the query string of the list that shows the same records:
hazards → /hazards/, enforcement → /enforcement/, accidents → /accidents/, inspections →
/inspections/. The hazard scope is a `stats.Scope` (the bulletins' one) narrowed to the user and
an optional department, so the league table reuses the bulletins' per-department figures and
their 一票否决 rules.

Stock figures (overdue now, open major hazards) have no 同比: the records keep no status as of
a past day, and a comparison that no list can show would break "every number is a link".
"""

from .headline import accident_headline, enforcement_headline, hazard_headline
from .scope import DashboardScope, Period
from .series import (
    accidents_by_month,
    by_type_and_level,
    coverage,
    found_closed_by_month,
    league,
    overdue_by_department,
    overdue_by_lead_department,
)


def compute(scope: DashboardScope, period: Period) -> dict:
    """Every figure of the page, as plain data (cached as a whole)."""
    overdue = overdue_by_lead_department(scope)
    return {
        "hazards": hazard_headline(scope, period, overdue),
        "enforcement": enforcement_headline(scope, period),
        "accidents": accident_headline(scope, period),
        "charts": [
            found_closed_by_month(scope, period),
            overdue_by_department(scope, period, overdue),
            by_type_and_level(scope, period),
            *accidents_by_month(scope, period),
            coverage(scope, period),
        ],
        "league": league(scope, period, overdue),
    }
