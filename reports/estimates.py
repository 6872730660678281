"""The waits the kiosk would have promised over a history without promises (imported tickets).

``replay`` walks an office's imported tickets in issue order and, for each,
rebuilds what the estimator saw at that moment: how many tickets of its
service and day were issued before it and not yet called (ahead), the mean
service time of the service's last 20 tickets finished before it (S), and the
counters that serve the service as main or backup (C, all taken as open: a
history has no counter states). seed_history stores the promises so that the
estimate-accuracy report has a history, and the figures of an estimator
change are compared on the same replay (``accuracy``).
"""

import bisect
from collections import defaultdict, deque
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings

from offices.models import Office
from tickets import selectors
from tickets.models import Ticket
from tickets.rollups import PROMISE_WITHIN_SECONDS

from .selectors import round_half_up

Estimator = Callable[[int, float, int], int]


def _counters(office: Office) -> dict[int, int]:
    serving: dict[int, set[int]] = defaultdict(set)
    for counter in office.counters.prefetch_related("services", "backup_services"):
        for service in [*counter.services.all(), *counter.backup_services.all()]:
            serving[service.pk].add(counter.pk)
    return {pk: len(ids) for pk, ids in serving.items()}


def replay(office: Office, estimate: Estimator = selectors.estimate) -> list[tuple[int, int, float | None]]:
    """(ticket id, promise, wait of a done ticket else None) for the office's imported tickets."""
    rows = list(
        Ticket.objects.filter(office=office, imported=True)
        .order_by("issued_at", "id")
        .values_list("id", "service_id", "local_date", "issued_at", "called_at", "finished_at", "status",
                     "wait_seconds", "service_seconds")
    )  # fmt: skip
    counters = _counters(office)
    finished = defaultdict(list)  # service → [(finished_at, service_seconds)] of done tickets, in order
    for _, service, _, _, _, end, status, _, serve in rows:
        if status == Ticket.Status.DONE:
            finished[service].append((end, serve))
    for line in finished.values():
        line.sort()
    seen = defaultdict(int)  # service → how many of its finished tickets are before now
    recent: dict[int, deque] = defaultdict(lambda: deque(maxlen=selectors.ESTIMATE_SAMPLE))
    queued = defaultdict(list)  # (service, day) → sorted call times of the tickets issued so far
    result = []
    for pk, service, day, issued, called, _, status, wait, _ in rows:
        line, window = finished[service], recent[service]
        while seen[service] < len(line) and line[seen[service]][0] <= issued:
            window.append(line[seen[service]][1])
            seen[service] += 1
        per_client = sum(window) / len(window) if window else float(settings.DEFAULT_SERVICE_SECONDS)
        calls = queued[(service, day)]
        ahead = len(calls) - bisect.bisect_right(calls, issued)
        result.append((pk, estimate(ahead, per_client, counters.get(service, 0)), wait if status == "done" else None))
        if called is not None:  # a cancelled ticket of the history has no times: it is not counted ahead
            bisect.insort(calls, called)
    return result


def accuracy(promises) -> dict:
    """Mean absolute error, share within ±5 minutes and bias (promised − wait) over the done tickets."""
    errors = [promise - wait for _, promise, wait in promises if wait is not None]
    if not errors:
        return {"done": 0}
    n = len(errors)
    return {
        "done": n,
        "mean_abs_error_seconds": int(round_half_up(Decimal(sum(abs(e) for e in errors)) / n)),
        "within_5_min_share": float(
            round_half_up(Decimal(sum(abs(e) <= PROMISE_WITHIN_SECONDS for e in errors)) / n, 4)
        ),
        "bias_seconds": int(round_half_up(Decimal(sum(errors)) / n)),
    }


def promise_history(offices, estimate: Estimator = selectors.estimate) -> int:
    """Store the replayed promises on the offices' imported tickets; returns how many."""
    stored = 0
    for office in offices:
        objects = [Ticket(pk=pk, promised_wait_seconds=promise) for pk, promise, _ in replay(office, estimate)]
        Ticket.objects.bulk_update(objects, ["promised_wait_seconds"], batch_size=2000)
        stored += len(objects)
    return stored
