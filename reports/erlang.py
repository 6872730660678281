"""The Erlang C model of a queue served by several counters (M/M/N), as pure functions.

Clients arrive at random (Poisson) at ``arrivals_per_hour``; each is served for
an exponentially distributed time with mean ``service_seconds``; ``counters``
serve one queue in parallel, and nobody leaves the queue. The offered traffic
is A = λ × S erlangs (arrivals per second × mean service seconds): the number
of counters that would be busy all the time.

* ``probability_of_waiting(A, N)`` is Erlang's C formula, the chance that an
  arriving client finds every counter busy:

      C(N, A) = (A^N / N!) × N / (N − A)  ÷  (Σ_{k<N} A^k / k!  +  A^N / N! × N / (N − A))

  computed through Erlang B's recursion (B₀ = 1, B_k = A·B_{k−1} / (k + A·B_{k−1}))
  and C = N·B / (N − A·(1 − B)), which never forms A^N or N! and so stays exact
  for hundreds of counters. With N ≤ A the queue grows without end: C = 1.
* ``service_level`` is the share of clients called within ``target_seconds``:

      SL = 1 − C(N, A) × e^(−(N − A) × t / S)

* ``counters_needed`` is the smallest N whose service level reaches the target
  share (none needed without arrivals).

Checked against published tables in tests/reports/test_erlang.py.
"""

import math

# No office has this many counters: a bound on the search, whatever the input.
MAX_COUNTERS = 1000


def traffic(arrivals_per_hour: float, service_seconds: float) -> float:
    """Offered traffic in erlangs."""
    return arrivals_per_hour / 3600 * service_seconds


def probability_of_waiting(erlangs: float, counters: int) -> float:
    """Erlang C: the chance that a client has to wait at all (0 without traffic, 1 when N ≤ A)."""
    if erlangs <= 0:
        return 0.0
    if counters <= erlangs:
        return 1.0
    blocking = 1.0
    for k in range(1, counters + 1):
        blocking = erlangs * blocking / (k + erlangs * blocking)
    return counters * blocking / (counters - erlangs * (1 - blocking))


def service_level(arrivals_per_hour: float, service_seconds: float, counters: int, target_seconds: float) -> float:
    """The share of clients called within ``target_seconds`` of arriving."""
    erlangs = traffic(arrivals_per_hour, service_seconds)
    if erlangs <= 0:
        return 1.0
    if counters <= erlangs:
        return 0.0
    waiting = probability_of_waiting(erlangs, counters)
    return 1 - waiting * math.exp(-(counters - erlangs) * target_seconds / service_seconds)


def average_wait_seconds(arrivals_per_hour: float, service_seconds: float, counters: int) -> float:
    """The mean wait over all clients (ASA): C(N, A) × S / (N − A); infinite when N ≤ A."""
    erlangs = traffic(arrivals_per_hour, service_seconds)
    if erlangs <= 0:
        return 0.0
    if counters <= erlangs:
        return math.inf
    return probability_of_waiting(erlangs, counters) * service_seconds / (counters - erlangs)


def counters_needed(arrivals_per_hour: float, service_seconds: float, target_seconds: float, target: float) -> int:
    """The fewest counters for which at least ``target`` (a share, below 1) of clients wait
    no longer than ``target_seconds``; 0 without arrivals."""
    if arrivals_per_hour <= 0 or service_seconds <= 0:
        return 0
    counters = max(1, math.floor(traffic(arrivals_per_hour, service_seconds)) + 1)
    while (
        counters < MAX_COUNTERS and service_level(arrivals_per_hour, service_seconds, counters, target_seconds) < target
    ):
        counters += 1
    return counters
