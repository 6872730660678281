"""One live state per office: what every screen of the office starts from.

The state holds the office's counters, latest calls, and queue (each service's
tickets in call order, with what an estimate needs), numbered by the ``seq``
of the office's two groups (display, operators) at the time it was built. It
is built once per change, when a screen first needs it, and kept in the cache
(Redis where the channel layer is Redis, process memory otherwise) and in this
process: a screen connecting, asking for a snapshot, or a phone looking up its
place, reads it; only the first after a change builds it. A storm of 1,000
connects is one build per process, not 1,000.

Time alone changes a few things: a state is rebuilt at the office's next
opening, closing or end of issuing, at local midnight, and after
STATE_TTL_SECONDS (postponed tickets return to the queue by time alone),
even when nothing happened. A change written to the database behind the
services' back shows only then; the admin's edits call ``forget``.
"""

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as day_time

from django.core.cache import cache
from django.utils import timezone

from offices.models import Counter, Office

from . import broadcast, payloads, selectors
from .models import Ticket, TicketEvent

STATE_TTL_SECONDS = 30
LAST_CALLS = 10


def _local_midnight(office: Office) -> datetime:
    return datetime.combine(office.local_date(), day_time(0), tzinfo=office.tz)


def last_calls(office: Office) -> list[payloads.Call]:
    """Today's latest calls, newest first, one entry per ticket."""
    events = (
        TicketEvent.objects.filter(
            ticket__office=office,
            type__in=[TicketEvent.Type.CALLED, TicketEvent.Type.RECALLED],
            at__gte=_local_midnight(office),
        )
        .select_related("ticket", "counter")
        .order_by("-at", "-id")[: LAST_CALLS * 3]
    )
    calls, seen = [], set()
    for event in events:
        if event.ticket_id in seen or event.counter is None:
            continue
        seen.add(event.ticket_id)
        ticket = event.ticket
        calls.append(
            payloads.Call(
                ticket=ticket.number,
                counter=event.counter.number,
                called_at=event.at.isoformat(),
                active=ticket.status in Ticket.ACTIVE and ticket.counter_id == event.counter_id,
                # Still being called there: a display back from an outage announces such a recent call it missed.
                calling=ticket.status == Ticket.Status.CALLED and ticket.counter_id == event.counter_id,
            )
        )
        if len(calls) == LAST_CALLS:
            break
    return calls


def counter_rows(office: Office) -> list[payloads.CounterRow]:
    active = {t.counter_id: t for t in Ticket.objects.filter(office=office).active().select_related("service")}
    counters = Counter.objects.filter(office=office, active=True).select_related("operator")
    rows = []
    for counter in counters.prefetch_related("services"):
        counter.office = office  # the break reason's label reads the office's reasons
        rows.append(payloads.counter_row(counter, active.get(counter.pk), [s.code for s in counter.services.all()]))
    return rows


@dataclass
class LiveState:
    epoch: str  # broadcast.current_version: the numbers' life
    seqs: tuple[int, int]  # (display group, operators group)
    built_at: float
    valid_until: float
    display: dict
    operators: dict
    # Per service id: its queue in call order (what a phone reads its place from).
    queues: dict[int, payloads.ServiceQueue]
    _places: dict[int, dict[str, int]] = field(default_factory=dict, repr=False)

    def fresh(self, version: tuple[str, int, int]) -> bool:
        """Built at ``version`` (broadcast.current_version), and not expired."""
        return (self.epoch, *self.seqs) == tuple(version) and time.time() < self.valid_until

    def covers(self, version) -> bool:
        """Built after the messages numbered ``version`` (epoch, display, operators), and not expired."""
        epoch, display, operators = version
        return (
            self.epoch == epoch
            and self.seqs[0] >= display
            and self.seqs[1] >= operators
            and time.time() < self.valid_until
        )

    def place(self, service_id: int, number: str) -> tuple[int, int] | None:
        """A waiting ticket's position in its service's queue and its estimated wait; None outside the queue."""
        queue = self.queues.get(service_id)
        if queue is None:
            return None
        if service_id not in self._places:
            self._places[service_id] = {n: i for i, n in enumerate(queue["numbers"])}
        ahead = self._places[service_id].get(number)
        if ahead is None:
            return None
        return ahead, selectors.estimate(ahead, queue["per_client_seconds"], queue["counters"])

    def serving(self, service_id: int) -> int:
        """How many open counters serve a service with a queue (0 without one: no phone waits in it)."""
        queue = self.queues.get(service_id)
        return queue["counters"] if queue else 0

    def display_snapshot(self) -> dict:
        return {**self.display, "seq": self.seqs[0], "now": timezone.now().isoformat()}

    def operators_snapshot(self) -> dict:
        return {**self.operators, "seq": self.seqs[1], "at": timezone.now().isoformat()}

    def dump(self) -> dict:
        return {
            "epoch": self.epoch,
            "seqs": list(self.seqs),
            "built_at": self.built_at,
            "valid_until": self.valid_until,
            "display": self.display,
            "operators": self.operators,
            "queues": {str(k): v for k, v in self.queues.items()},
        }

    @classmethod
    def load(cls, data: dict) -> "LiveState":
        return cls(
            epoch=data["epoch"],
            seqs=tuple(data["seqs"]),
            built_at=data["built_at"],
            valid_until=data["valid_until"],
            display=data["display"],
            operators=data["operators"],
            queues={int(k): v for k, v in data["queues"].items()},
        )


def build(office_id: int) -> LiveState:
    """The office's state from the database: a fixed number of queries, whatever the queue's length."""
    # The numbers first, the state after: a message committed in between is
    # then both in the state and numbered above it, so a screen applies it
    # twice (harmless) rather than never.
    epoch, *seqs = broadcast.current_version(office_id)
    now = timezone.now()
    office = Office.objects.prefetch_related("hours").get(pk=office_id)
    queue = selectors.office_queue(office, now)
    services = list(office.services.filter(active=True))
    queue.read_averages(sorted({s.pk for s in services} | set(queue.by_service)))
    waiting = {s.code: queue.waiting(s.pk) for s in services}
    oldest = {s.code: queue.oldest(s.pk).isoformat() for s in services if queue.oldest(s.pk)}
    estimates = {s.code: queue.estimate(s.pk, queue.waiting(s.pk)) for s in services}
    queues = {
        service_id: payloads.ServiceQueue(
            service=str(service_id),
            numbers=queue.numbers(service_id),
            per_client_seconds=queue.per_client_seconds(service_id),
            counters=queue.counters(service_id),
        )
        for service_id in queue.by_service
    }
    display = {
        "type": "snapshot",
        "office": {
            "code": office.code,
            "name": office.name,
            "ticker": office.ticker_text,
            "chime": office.display_chime,
            "voice": office.display_voice,
            "hours": office.hours_display(),
            "next_opening": office.next_opening_text(now),  # «Откроется в понедельник в 08:00»
        },
        "open": office.is_open(now),
        "issuing": office.is_issuing(now),
        "calls": last_calls(office),
        "services": [{"code": s.code, "name": s.name, "prefix": s.prefix} for s in services],
        "waiting": waiting,
        "estimates": estimates,
        "serving": {s.code: queue.counters(s.pk) for s in services},
    }
    operators = {
        "type": "snapshot",
        "office": {"code": office.code, "name": office.name},
        "open": display["open"],
        "wait_norm_seconds": office.wait_norm_minutes * 60,
        "services": [
            {
                "code": s.code,
                "name": s.name,
                "prefix": s.prefix,
                "channel": s.channel,
                "waiting": waiting[s.code],
                "longest_wait_seconds": round((now - queue.oldest(s.pk)).total_seconds()) if queue.oldest(s.pk) else 0,
                "estimated_wait_seconds": estimates[s.code],
            }
            for s in services
        ],
        "oldest": oldest,
        "counters": counter_rows(office),
        "today": selectors.today_stats(office),
    }
    built_at = time.time()
    return LiveState(
        epoch=epoch,
        seqs=tuple(seqs),
        built_at=built_at,
        valid_until=min(built_at + STATE_TTL_SECONDS, _next_change_of_time(office, now).timestamp()),
        display=display,
        operators=operators,
        queues=queues,
    )


def _next_change_of_time(office: Office, now: datetime) -> datetime:
    """The next moment the office opens, stops issuing or closes, or its day ends."""
    moments = [_local_midnight(office) + timedelta(days=1)]
    opening = office.next_opening(now)
    if opening is not None:
        moments.append(opening)
    session = office.session_at(now)
    if session is not None:
        closes = session[1]
        moments += [closes, closes - timedelta(minutes=office.stop_issuing_minutes)]
    return min(m for m in moments if m > now) if any(m > now for m in moments) else moments[0]


# The states of this process, and one lock per office so that only one thread builds.
_memo: dict[int, LiveState] = {}
_locks: dict[int, threading.Lock] = {}
_locks_guard = threading.Lock()


def _key(office_id: int) -> str:
    return f"queue:state:{office_id}"


def _lock(office_id: int) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(office_id, threading.Lock())


def cached(office_id: int) -> LiveState | None:
    """The office's state if one is current (no database read): a Redis read at most."""
    version = broadcast.current_version(office_id)
    memo = _memo.get(office_id)
    if memo is not None and memo.fresh(version):
        return memo
    data = cache.get(_key(office_id))
    if data is not None:
        try:
            shared = LiveState.load(data)
        except KeyError:  # written by another version of this module
            shared = None
        if shared is not None and shared.fresh(version):
            _memo[office_id] = shared
            return shared
    return None


def get(office_id: int) -> LiveState:
    """The office's current state: from this process, the cache, or (the first after a change) the database."""
    state = cached(office_id)
    if state is not None:
        return state
    with _lock(office_id):
        # Whoever held the lock may have just built it.
        state = cached(office_id)
        if state is not None:
            return state
        state = build(office_id)
        cache.set(_key(office_id), state.dump(), STATE_TTL_SECONDS)
        _memo[office_id] = state
        return state


def memo_covering(office_id: int, version) -> LiveState | None:
    """This process's state of the office if it is newer than the messages numbered ``version`` (no I/O)."""
    memo = _memo.get(office_id)
    return memo if memo is not None and version and memo.covers(tuple(version)) else None


def forget(office_id: int) -> None:
    """Outdate the office's state everywhere (an admin edit changed what it shows).

    Both groups' numbers move on, so every process's state no longer matches,
    and a screen that misses the snapshot pushed next sees from its pong that it
    fell behind, and asks.
    """
    broadcast.bump_seqs(office_id)
    _memo.pop(office_id, None)
    cache.delete(_key(office_id))
