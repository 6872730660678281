"""Read-only queries over the live queue: the office's queue with positions, estimates, counts.

``office_queue`` is the one read model of who waits in which order: one
ordered query, and a ticket's position is its index among the waiting tickets
of its service -- the same index a phone reads from the office's live state
(tickets/live.py).
Everything else that shows a position or an estimate reads it from there.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Avg, Count, F, IntegerField, Min, Q, Value, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from offices.models import Counter, Membership, Office, Service

from . import payloads
from .models import Ticket, TicketEvent, call_order

__all__ = ["OfficeQueue", "call_order", "office_queue"]

# How many of a service's latest finished tickets feed the estimate.
ESTIMATE_SAMPLE = 20


def estimate(ahead: int, per_client_seconds: float, counters: int) -> int:
    """Estimated wait for a client with ``ahead`` people before them in the service's queue.

    estimate = (ahead + ½) × S / max(C, 1), where S is the mean service time of
    the service's last 20 finished tickets (DEFAULT_SERVICE_SECONDS without
    history) and C the number of open counters that serve the service as main
    or backup. It assumes the counters work in parallel on this queue. The
    half: even the first in line waits for a counter to finish the client it
    serves, on average half a service time spread over the C counters; without
    it every promise to the first in line was «no wait», and promises fell
    short by 3 minutes on average (reports, «Точность прогноза»: on the demo
    history the mean absolute error fell from 212 to 167 s, the share within
    ±5 minutes rose from 75.9 % to 83.8 %, the bias went from −190 to −66 s).
    """
    return round((ahead + 0.5) * per_client_seconds / max(counters, 1))


def average_service_seconds(service_id: int) -> float:
    recent = list(
        Ticket.objects.filter(service_id=service_id, status=Ticket.Status.DONE)
        .order_by("-finished_at")
        .values_list("service_seconds", flat=True)[:ESTIMATE_SAMPLE]
    )
    if not recent:
        return float(settings.DEFAULT_SERVICE_SECONDS)
    return sum(recent) / len(recent)


def average_service_seconds_by_service(service_ids: list[int]) -> dict[int, float]:
    """average_service_seconds for several services in one query."""
    if connection.features.supports_slicing_ordering_in_compound:
        # One LIMIT per service, each read from ticket_service_recent_idx: a window
        # over the services' finished tickets read all of them, a year of history on
        # every announcement (its cost grew with every ticket ever served).
        latest = [
            Ticket.objects.filter(service_id=pk, status=Ticket.Status.DONE)
            .order_by("-finished_at")
            .annotate(of=Value(pk, output_field=IntegerField()))
            .values_list("of", "service_seconds")[:ESTIMATE_SAMPLE]
            for pk in service_ids
        ]
        recent = latest[0].union(*latest[1:], all=True) if latest else []
    else:  # SQLite allows no LIMIT inside a UNION
        recent = (
            Ticket.objects.filter(service_id__in=service_ids, status=Ticket.Status.DONE)
            .annotate(recency=Window(RowNumber(), partition_by=[F("service_id")], order_by=F("finished_at").desc()))
            .filter(recency__lte=ESTIMATE_SAMPLE)
            .values_list("service_id", "service_seconds")
        )
    samples: dict[int, list[int]] = {}
    for service_id, seconds in recent:
        samples.setdefault(service_id, []).append(seconds)
    default = float(settings.DEFAULT_SERVICE_SECONDS)
    return {pk: sum(samples[pk]) / len(samples[pk]) if pk in samples else default for pk in service_ids}


def open_counters_by_service(office_id: int) -> dict[int, int]:
    """How many open counters serve each service of the office, as main or backup (one query)."""
    main, backup = (
        relation.objects.filter(counter__office_id=office_id, counter__state=Counter.State.OPEN).values_list(
            "service_id", "counter_id"
        )
        for relation in (Counter.services.through, Counter.backup_services.through)
    )
    serving: dict[int, set[int]] = {}
    for service_id, counter_id in main.union(backup):
        serving.setdefault(service_id, set()).add(counter_id)
    return {service_id: len(counters) for service_id, counters in serving.items()}


def serves(office_id: int, service_id: int) -> bool:
    """Is the service served by at least one open counter of the office right now (one query)?"""
    return (
        Counter.objects.filter(office_id=office_id, state=Counter.State.OPEN)
        .filter(Q(services=service_id) | Q(backup_services=service_id))
        .exists()
    )


@dataclass
class WaitingTicket:
    id: int
    number: str
    service_id: int
    queued_at: datetime


@dataclass
class OfficeQueue:
    """Today's waiting tickets of an office, per service in call order."""

    office: Office
    by_service: dict[int, list[WaitingTicket]]
    positions: dict[int, int]
    # Estimate inputs, read on first use and kept on this object only.
    _per_client: dict[int, float] = field(default_factory=dict, repr=False)
    _counters: dict[int, int] | None = field(default=None, repr=False)

    def numbers(self, service_id: int) -> list[str]:
        return [t.number for t in self.by_service.get(service_id, [])]

    def waiting(self, service_id: int) -> int:
        return len(self.by_service.get(service_id, []))

    def oldest(self, service_id: int) -> datetime | None:
        tickets = self.by_service.get(service_id)
        return min(t.queued_at for t in tickets) if tickets else None

    def position(self, ticket: Ticket) -> int | None:
        """How many waiting tickets of the same service will be called before this one."""
        if ticket.status != Ticket.Status.WAITING:
            return None
        return self.positions.get(ticket.pk)

    def per_client_seconds(self, service_id: int) -> float:
        if service_id not in self._per_client:
            self._per_client[service_id] = average_service_seconds(service_id)
        return self._per_client[service_id]

    def read_averages(self, service_ids: list[int]) -> None:
        """Read the mean service times of these services at once, instead of one query each on first use."""
        self._per_client.update(average_service_seconds_by_service(service_ids))

    def counters(self, service_id: int) -> int:
        if self._counters is None:
            self._counters = open_counters_by_service(self.office.pk)
        return self._counters.get(service_id, 0)

    def estimate(self, service_id: int, ahead: int) -> int:
        return estimate(ahead, self.per_client_seconds(service_id), self.counters(service_id))

    def estimated_wait(self, ticket: Ticket) -> int | None:
        ahead = self.position(ticket)
        return None if ahead is None else self.estimate(ticket.service_id, ahead)


def office_queue(
    office: Office, now: datetime | None = None, *, service_id: int | None = None, day: date | None = None
) -> OfficeQueue:
    """The office's queue today (or on ``day``) from one ordered query; only one service's, when given."""
    now = now or timezone.now()
    # The postponed pool is outside the queue: no position until its tickets return.
    tickets = Ticket.objects.waiting_on(office, day or office.local_date(now)).in_queue(now)
    if service_id is not None:
        tickets = tickets.filter(service_id=service_id)
    by_service: dict[int, list[WaitingTicket]] = {}
    positions: dict[int, int] = {}
    for row in tickets.in_call_order(now).values_list("id", "number", "service_id", "queued_at"):
        ticket = WaitingTicket(*row)
        line = by_service.setdefault(ticket.service_id, [])
        positions[ticket.id] = len(line)
        line.append(ticket)
    return OfficeQueue(office=office, by_service=by_service, positions=positions)


def _called_before(ticket: Ticket, now: datetime) -> Q:
    """The tickets ``call_order(now)`` puts before ``ticket``: front first, returned from the pool
    (soonest first, never-postponed last), priority, booked whose slot has started (by slot
    start), arrival, id."""
    if ticket.slot_start is not None and ticket.slot_start <= now:
        booked = (Q(slot_start__lt=ticket.slot_start), Q(slot_start=ticket.slot_start))
    else:
        booked = (Q(slot_start__lte=now), Q(slot_start__isnull=True) | Q(slot_start__gt=now))
    if ticket.returns_at is None:
        returns = (Q(returns_at__isnull=False), Q(returns_at__isnull=True))
    else:
        returns = (Q(returns_at__lt=ticket.returns_at), Q(returns_at=ticket.returns_at))
    keys = [
        (None if ticket.front else Q(front=True), Q(front=ticket.front)),
        returns,
        (None if ticket.priority else Q(priority=True), Q(priority=ticket.priority)),
        booked,
        (Q(queued_at__lt=ticket.queued_at), Q(queued_at=ticket.queued_at)),
        # A ticket not stored yet (the promise) comes after every stored one.
        (Q(pk__lt=ticket.pk) if ticket.pk is not None else Q(), None),
    ]
    before, same_so_far = None, Q()
    for earlier, equal in keys:
        if earlier is not None:
            before = same_so_far & earlier if before is None else before | (same_so_far & earlier)
        if equal is not None:
            same_so_far &= equal
    return before


def ahead_of(ticket: Ticket, now: datetime | None = None) -> int | None:
    """``office_queue(...).position(ticket)`` for one ticket: one COUNT, not the whole queue read."""
    now = now or timezone.now()
    if ticket.status != Ticket.Status.WAITING or (ticket.returns_at is not None and ticket.returns_at > now):
        return None
    line = Ticket.objects.filter(
        office_id=ticket.office_id, local_date=ticket.local_date, status=Ticket.Status.WAITING
    ).filter(service_id=ticket.service_id)
    return line.in_queue(now).filter(_called_before(ticket, now)).count()


def place(ticket: Ticket, now: datetime | None = None) -> tuple[int, int] | None:
    """A waiting ticket's position in its service's queue and its estimated wait (three queries).

    The ticket may be one about to be issued (not stored yet): its place is then
    where it will stand, behind every equal ticket already there.
    """
    found = _place_served(ticket, now)
    return found[:2] if found else None


def _place_served(ticket: Ticket, now: datetime | None = None) -> tuple[int, int, int] | None:
    """place, and how many open counters serve the ticket's service."""
    ahead = ahead_of(ticket, now)
    if ahead is None:
        return None
    serving = open_counters_by_service(ticket.office_id).get(ticket.service_id, 0)
    return ahead, estimate(ahead, average_service_seconds(ticket.service_id), serving), serving


def waiting_summary(office: Office) -> tuple[dict[str, int], dict[str, str]]:
    """Today's waiting tickets per active service code (zeros included), and since when
    the longest-waiting one of each service has been in its queue (ISO time)."""
    counts = dict.fromkeys(office.services.filter(active=True).values_list("code", flat=True), 0)
    oldest = {}
    rows = Ticket.objects.waiting_today(office).values("service__code").annotate(n=Count("id"), since=Min("queued_at"))
    for row in rows:
        counts[row["service__code"]] = row["n"]
        oldest[row["service__code"]] = row["since"].isoformat()
    return counts, oldest


def queue_counts(office: Office) -> tuple[dict[str, int], dict[str, str], dict[str, int], dict[str, int]]:
    """waiting_summary, and per active service the estimated wait of a ticket taken now and how many
    open counters serve it (five queries)."""
    services = dict(office.services.filter(active=True).values_list("pk", "code"))
    counts = dict.fromkeys(services.values(), 0)
    oldest = {}
    rows = Ticket.objects.waiting_today(office).values("service__code").annotate(n=Count("id"), since=Min("queued_at"))
    for row in rows:
        counts[row["service__code"]] = row["n"]
        oldest[row["service__code"]] = row["since"].isoformat()
    per_client = average_service_seconds_by_service(list(services))
    serving = open_counters_by_service(office.pk)
    estimates = {code: estimate(counts[code], per_client[pk], serving.get(pk, 0)) for pk, code in services.items()}
    return counts, oldest, estimates, {code: serving.get(pk, 0) for pk, code in services.items()}


def waiting_counts(office: Office) -> dict[str, int]:
    return waiting_summary(office)[0]


def position(ticket: Ticket) -> int | None:
    """How many waiting tickets of the same service will be called before this one."""
    if ticket.status != Ticket.Status.WAITING:
        return None
    return office_queue(ticket.office, service_id=ticket.service_id, day=ticket.local_date).position(ticket)


# What the client's phone says in each state, and what the client may do
# from it (the token is their only credential: giving the ticket up while it
# waits). {counter} is the counter's number.
TRACKING_LABELS = {
    Ticket.Status.WAITING: "Ожидает вызова",
    Ticket.Status.CALLED: "Вас вызывают к окну {counter}",
    Ticket.Status.SERVING: "Вас обслуживают у окна {counter}",
    Ticket.Status.DONE: "Обслуживание завершено. Спасибо!",
    Ticket.Status.NO_SHOW: "Талон закрыт: вы не подошли к окну",
    Ticket.Status.CANCELLED: "Талон отменён, место в очереди освобождено",
    Ticket.Status.EXPIRED: "Срок действия талона истёк",
}
TRACKING_ACTIONS = {Ticket.Status.WAITING: ("cancel",)}
# A waiting ticket with no place in the queue is in the postponed pool.
TRACKING_POSTPONED = "Талон отложен: вас пригласят снова, держите страницу открытой"


def tracking_message(
    *,
    number: str,
    status: str,
    service: str,
    position: int | None,
    estimated_wait_seconds: int | None,
    counter: str | None,
    no_open_counter: bool = False,
    returns_at: datetime | None = None,
) -> dict:
    """The phone's view of a ticket in one state: the numbers with the server's wording.

    ``alert`` says whether a call is still ahead, so that a signal can be
    promised: only while the ticket waits. ``no_open_counter``: it waits in a
    queue that no open counter serves right now; ``returns_at``: a postponed
    ticket's return to the queue.
    """
    waiting = status == Ticket.Status.WAITING
    return {
        "number": number,
        "status": status,
        "status_label": (
            TRACKING_POSTPONED
            if status == Ticket.Status.WAITING and position is None
            else TRACKING_LABELS[status].format(counter=counter or "")
        ),
        "service": service,
        "position": position,
        "estimated_wait_seconds": estimated_wait_seconds,
        "counter": counter,
        "actions": list(TRACKING_ACTIONS.get(status, ())),
        "alert": waiting,
        "no_open_counter": waiting and position is not None and no_open_counter,
        "returns_at": returns_at.isoformat() if waiting and position is None and returns_at else None,
    }


def tracking_status(ticket: Ticket) -> dict:
    """What a phone shows for its ticket (loaded with its service)."""
    found = _place_served(ticket)
    return tracking_message(
        number=ticket.number,
        status=ticket.status,
        # The current service: a transfer moves the ticket, and the phone with it.
        service=ticket.service.name,
        position=found[0] if found else None,
        estimated_wait_seconds=found[1] if found else None,
        counter=ticket.counter.number if ticket.counter_id and ticket.status in Ticket.ACTIVE else None,
        no_open_counter=bool(found) and found[2] == 0,
        returns_at=ticket.returns_at,
    )


def queue_summary(office: Office, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    queue = office_queue(office, now)
    active_services = list(office.services.filter(active=True))
    queue.read_averages([service.pk for service in active_services])
    services = []
    for service in active_services:
        waiting = queue.waiting(service.pk)
        oldest = queue.oldest(service.pk)
        services.append(
            {
                "code": service.code,
                "name": service.name,
                "prefix": service.prefix,
                "channel": service.channel,
                "waiting": waiting,
                "longest_wait_seconds": round((now - oldest).total_seconds()) if oldest else 0,
                "estimated_wait_seconds": queue.estimate(service.pk, waiting),
                "open_counters": queue.counters(service.pk),
            }
        )
    active = Ticket.objects.filter(office=office).active().select_related("service", "counter").order_by("called_at")
    return {
        "office": office.code,
        "open": office.is_open(now),
        "issuing": office.is_issuing(now),
        "next_opening": office.next_opening(now),
        "next_opening_text": office.next_opening_text(now),
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


# The operator's workplace

PRIORITY_LABEL = payloads.PRIORITY_LABEL
# How many waiting tickets the operator's list shows; the total comes along.
WORKPLACE_LIST_LIMIT = 30


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


NO_OTHER_OPERATORS = "Сейчас нет других операторов на работе"


def counter_workplace(counter: Counter, operator, now: datetime | None = None) -> dict:
    """What the operator's screen lists besides the current client: the tickets this
    counter may call, in call order, the postponed pool with return times, and the
    choices of the transfer and break dialogs. A fixed number of queries.

    ``next_return_at`` is the earliest return time in the pool: the screen sets
    its own timer for it (against ``now``, the server's clock) and reads this
    again then, so no server timer is needed.
    """
    now = now or timezone.now()
    office = counter.office
    waiting = Ticket.objects.waiting_today(office, now).select_related("service", "office")
    main = waiting.for_counter(counter, operator)
    backup = waiting.for_counter(counter, operator, backup=True)
    may_call = office.call_chosen
    # Call-next takes the main line before the backup one: the list shows them in that order.
    queue = [(t, "main") for t in main.in_queue(now).order_by(*call_order(now))[:WORKPLACE_LIST_LIMIT]]
    queue += [
        (t, "backup") for t in backup.in_queue(now).order_by(*call_order(now))[: WORKPLACE_LIST_LIMIT - len(queue)]
    ]
    total = main.in_queue(now).count() + backup.in_queue(now).count()
    pool = list((main | backup).in_pool(now))
    counters = Counter.objects.filter(office=office, active=True).exclude(pk=counter.pk).select_related("operator")
    # The operators at work (at another counter of the office) and where they sit.
    where = {c.operator_id: c.number for c in counters if c.operator_id and c.state != Counter.State.CLOSED}
    operators = (
        get_user_model()
        .objects.filter(
            pk__in=where,
            is_active=True,
            memberships__office=office,
            memberships__role=Membership.Role.OPERATOR,
        )
        .exclude(pk=getattr(operator, "pk", None))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    return {
        "now": now.isoformat(),
        "call_chosen": may_call,
        "limit": WORKPLACE_LIST_LIMIT,
        "queue": [
            payloads.queue_line(t, now=now, counter=counter, operator=operator, may_call=may_call, section=section)
            for t, section in queue
        ],
        "queue_total": total,
        "pool": [
            payloads.queue_line(t, now=now, counter=counter, operator=operator, may_call=may_call, section="pool")
            for t in pool
        ],
        "next_return_at": pool[0].returns_at.isoformat() if pool else None,
        "transfer": {
            "services": [{"code": s.code, "name": s.name} for s in office.services.filter(active=True)],
            # Only those at work: a transfer to a closed counter or an absent operator is refused.
            "counters": [
                {"id": c.pk, "label": f"Окно {c.number} — {c.get_state_display().lower()}"}
                for c in counters
                if c.state != Counter.State.CLOSED
            ],
            "operators": [{"id": u.pk, "label": f"{_person(u)} (окно {where[u.pk]})"} for u in operators],
            # Said instead of an empty list of «Оператору».
            "operators_empty": NO_OTHER_OPERATORS,
        },
        "break_reasons": list(office.break_reasons),
    }


def transfer_history(ticket: Ticket) -> list[dict]:
    """The ticket's transfers today, oldest first: from which service, by whom, with which note."""
    names = dict(Service.objects.filter(office_id=ticket.office_id).values_list("code", "name"))
    events = TicketEvent.objects.filter(ticket=ticket, type=TicketEvent.Type.TRANSFERRED).select_related(
        "operator", "counter"
    )
    return [
        {
            "at": event.at.isoformat(),
            "from_service": names.get(event.data.get("from_service"), event.data.get("from_service")),
            "to_service": names.get(event.data.get("to_service"), event.data.get("to_service")),
            "counter": event.counter.number if event.counter else None,
            "operator": _person(event.operator),
            "note": event.data.get("note", ""),
        }
        for event in events
    ]


def counters_held_elsewhere(counter: Counter, user) -> list[Counter]:
    """The other counters ``user`` holds open or on break (one user, one counter on the operator page)."""
    if user is None or not user.is_authenticated:
        return []
    return list(Counter.objects.held_by(user).exclude(pk=counter.pk))
