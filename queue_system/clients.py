"""The real client's address, as the proxies in front of Daphne report it.

One rule for everything that keys on a client (sign-in lockouts, the limits
on remote tickets). With ``NUM_PROXIES`` = N, the client is the N-th address
from the right of X-Forwarded-For: the one our outermost trusted proxy
appended (nginx's ``$proxy_add_x_forwarded_for``). Anything further left was
written by the client itself and proves nothing. Without proxies, or for a
request that reached Daphne without the header, it is REMOTE_ADDR.

This is DRF's NUM_PROXIES rule, which the remote-ticket limits apply through
DRF's own throttling with the same setting. django-ipware's ``proxy_count`` counts
differently (the proxy nearest to Daphne is not in its chain) and, when the
chain is longer than expected, either trusts the client's own left-most entry
or falls back to the proxy's address, so it is not used.
"""

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded:
        return remote
    chain = [entry.strip() for entry in forwarded.split(",")]
    candidate = chain[-min(proxies, len(chain))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        # Our proxy appends a bare address; anything else came from outside.
        return remote
