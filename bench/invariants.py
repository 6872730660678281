"""What must hold after any run of the benches (soak.py, workday.py), checked against the database."""

from django.db.models import Count

from tickets.models import TicketEvent

REPLAY = {
    "issued": "waiting", "called": "called", "recalled": "called", "started": "serving", "finished": "done",
    "no_show": "no_show", "transferred": "waiting", "postponed": "waiting", "cancelled": "cancelled",
    "expired": "expired",
}  # fmt: skip
VALID = set(REPLAY.values())


def ticket_invariants(tickets, issued: set[int]) -> list[tuple[str, bool, str]]:
    """Every issued ticket in one valid state, unique numbers, and an event log that replays to the states."""
    results = []
    stored = dict(tickets.values_list("id", "status"))
    missing = issued - set(stored)
    invalid = [t for t, s in stored.items() if s not in VALID]
    detail = f"{len(issued)} issued, {len(missing)} missing, {len(invalid)} in an invalid state"
    results.append(("every issued ticket is in exactly one valid state", not missing and not invalid, detail))
    duplicates = tickets.values("office", "local_date", "number").annotate(n=Count("id")).filter(n__gt=1).count()
    results.append(("numbers are unique per office and day", duplicates == 0, f"{duplicates} duplicates"))
    replayed = {}
    for ticket_id, kind in (
        TicketEvent.objects.filter(ticket__in=tickets).order_by("at", "id").values_list("ticket_id", "type")
    ):
        replayed[ticket_id] = REPLAY[kind]
    disagree = [t for t, s in stored.items() if replayed.get(t) != s]
    results.append(("the event log agrees with the ticket states", not disagree,
                    f"{len(stored)} tickets replayed, {len(disagree)} disagree"))  # fmt: skip
    return results
