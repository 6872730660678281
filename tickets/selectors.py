"""Read-only queries over the live queue: positions, estimates, counts."""

from datetime import datetime

from django.conf import settings
from django.db.models import Avg, Count, Min, Q
from django.utils import timezone

from offices.models import Counter, Office, Service

from .models import Ticket

# The order in which waiting tickets are called: a transfer to the front first,
# then priority (льготная категория), then the longest in the queue.
CALL_ORDER = ("-front", "-priority", "queued_at", "id")

# How many of a service's latest finished tickets feed the estimate.
ESTIMATE_SAMPLE = 20


def waiting_today(office: Office, now: datetime | None = None):
    return Ticket.objects.filter(office=office, local_date=office.local_date(now), status=Ticket.Status.WAITING)


def waiting_summary(office: Office) -> tuple[dict[str, int], dict[str, str]]:
    """Today's waiting tickets per active service code (zeros included), and since when
    the longest-waiting one of each service has been in its queue (ISO time)."""
    counts = dict.fromkeys(office.services.filter(active=True).values_list("code", flat=True), 0)
    oldest = {}
    rows = waiting_today(office).values("service__code").annotate(n=Count("id"), since=Min("queued_at"))
    for row in rows:
        counts[row["service__code"]] = row["n"]
        oldest[row["service__code"]] = row["since"].isoformat()
    return counts, oldest


def waiting_counts(office: Office) -> dict[str, int]:
    return waiting_summary(office)[0]


def average_service_seconds(service: Service) -> float:
    # Memoised on the instance: one request asks for it for the response and
    # again for the broadcast.
    if not hasattr(service, "_average_service_seconds"):
        service._average_service_seconds = _average_service_seconds(service)
    return service._average_service_seconds


def _average_service_seconds(service: Service) -> float:
    recent = list(
        Ticket.objects.filter(service=service, status=Ticket.Status.DONE)
        .order_by("-finished_at")
        .values_list("service_seconds", flat=True)[:ESTIMATE_SAMPLE]
    )
    if not recent:
        return float(settings.DEFAULT_SERVICE_SECONDS)
    return sum(recent) / len(recent)


def open_counters_serving(service: Service) -> int:
    if not hasattr(service, "_open_counters"):
        service._open_counters = _open_counters_serving(service)
    return service._open_counters


def _open_counters_serving(service: Service) -> int:
    return (
        Counter.objects.filter(office_id=service.office_id, state=Counter.State.OPEN)
        .filter(Q(services=service) | Q(backup_services=service))
        .distinct()
        .count()
    )


def estimate_wait_seconds(service: Service, ahead: int) -> int:
    """Estimated wait for a client with ``ahead`` people before them in the service's queue.

    estimate = ahead × S / max(C, 1), where S is the mean service time of the
    service's last 20 finished tickets (DEFAULT_SERVICE_SECONDS without
    history) and C the number of open counters that serve the service as main
    or backup. It assumes the counters work in parallel on this queue.
    """
    return estimate(ahead, average_service_seconds(service), open_counters_serving(service))


def estimate(ahead: int, per_client_seconds: float, counters: int) -> int:
    return round(ahead * per_client_seconds / max(counters, 1))


def position(ticket: Ticket) -> int | None:
    """How many waiting tickets of the same service will be called before this one (CALL_ORDER)."""
    if ticket.status != Ticket.Status.WAITING:
        return None
    earlier = Q(queued_at__lt=ticket.queued_at) | Q(queued_at=ticket.queued_at, id__lt=ticket.pk)
    ahead = Q(front=ticket.front, priority=ticket.priority) & earlier
    if not ticket.priority:
        ahead |= Q(front=ticket.front, priority=True)
    if not ticket.front:
        ahead |= Q(front=True)
    return (
        Ticket.objects.filter(
            office_id=ticket.office_id,
            local_date=ticket.local_date,
            status=Ticket.Status.WAITING,
            service_id=ticket.service_id,
        )
        .filter(ahead)
        .count()
    )


def tracking_status(ticket: Ticket) -> dict:
    ahead = position(ticket)
    return {
        "number": ticket.number,
        "status": ticket.status,
        "position": ahead,
        "estimated_wait_seconds": (estimate_wait_seconds(ticket.service, ahead) if ahead is not None else None),
        "counter": ticket.counter.number if ticket.counter_id and ticket.status in Ticket.ACTIVE else None,
    }


def service_queue(office: Office, service: Service) -> dict:
    """One service's queue in call order, with what a phone needs to estimate its own wait."""
    numbers = list(waiting_today(office).filter(service=service).order_by(*CALL_ORDER).values_list("number", flat=True))
    return {
        "service": service.code,
        "numbers": numbers,
        "per_client_seconds": average_service_seconds(service),
        "counters": open_counters_serving(service),
    }


def queue_summary(office: Office, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    stats = {
        row["service_id"]: row
        for row in waiting_today(office, now).values("service_id").annotate(n=Count("id"), oldest=Min("queued_at"))
    }
    services = []
    for service in office.services.filter(active=True):
        row = stats.get(service.pk)
        waiting = row["n"] if row else 0
        services.append(
            {
                "code": service.code,
                "name": service.name,
                "prefix": service.prefix,
                "channel": service.channel,
                "waiting": waiting,
                "longest_wait_seconds": round((now - row["oldest"]).total_seconds()) if row else 0,
                "estimated_wait_seconds": estimate_wait_seconds(service, waiting),
            }
        )
    active = (
        Ticket.objects.filter(office=office, status__in=Ticket.ACTIVE)
        .select_related("service", "counter")
        .order_by("called_at")
    )
    return {
        "office": office.code,
        "open": office.is_open(now),
        "issuing": office.is_issuing(now),
        "services": services,
        "active": [
            {
                "ticket": t.number,
                "service": t.service.code,
                "status": t.status,
                "counter": t.counter.number,
                "called_at": t.called_at,
            }
            for t in active
        ],
    }


def today_stats(office: Office, counter: Counter | None = None) -> dict:
    """Today's finished tickets: count, mean wait and service (s), share over the wait norm."""
    done = Ticket.objects.filter(office=office, local_date=office.local_date(), status=Ticket.Status.DONE)
    if counter is not None:
        done = done.filter(counter=counter)
    norm = office.wait_norm_minutes * 60
    row = done.aggregate(
        served=Count("id"),
        avg_wait=Avg("wait_seconds"),
        avg_service=Avg("service_seconds"),
        over_norm=Count("id", filter=Q(wait_seconds__gt=norm)),
    )
    served = row["served"]
    return {
        "served": served,
        "avg_wait_seconds": round(row["avg_wait"]) if served else None,
        "avg_service_seconds": round(row["avg_service"]) if served else None,
        "over_norm_share": round(row["over_norm"] / served, 4) if served else None,
    }
