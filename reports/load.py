"""What the public load page and its API show of an office: only counts, never a person.

The live part (open or closed, people waiting and the estimated wait per service,
open counters) is read from the office's live state (tickets/live.py), the same
cached state the hall displays start from: no queue is read here. The usual load
by hour comes from reports/forecast.py, once per office and day.
"""

import math

from offices.models import Counter, Office
from tickets import live

from .forecast import usual_by_hour


def office_load(office: Office) -> dict:
    """{"office", "name", "open", "hours", "next_opening", "counters_open", "services", "usual_by_hour"}."""
    state = live.get(office.pk)
    display = state.display
    return {
        "office": office.code,
        "name": office.name,
        "open": display["open"],
        # The week's hours as the hall display shows them: [{"day", "label", "hours"}], hours None when closed.
        "hours": display["office"]["hours"],
        "next_opening": "" if display["open"] else display["office"]["next_opening"],
        "counters_open": sum(1 for row in state.operators["counters"] if row["state"] == Counter.State.OPEN),
        "services": [
            {
                "code": service["code"],
                "name": service["name"],
                "waiting": display["waiting"][service["code"]],
                # Whole minutes, rounded up: «about 1 minute» rather than «0» for a short wait;
                # nobody waiting is no wait, as the kiosk says («без очереди»).
                "estimated_wait_minutes": (
                    math.ceil(display["estimates"][service["code"]] / 60) if display["waiting"][service["code"]] else 0
                ),
            }
            for service in display["services"]
        ],
        "usual_by_hour": usual_by_hour(office, office.local_date()),
    }
