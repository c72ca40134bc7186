"""The address django-axes counts failed sign-ins against.

It is the reader's IP as the rest of Masthead sees it (masthead.core.clientip: REMOTE_ADDR on
one machine; behind TRUSTED_PROXY_HOPS proxies, the X-Forwarded-For entry the outermost proxy
wrote, so addresses a client writes into the header itself are never believed). Should that
entry not be an address, the connection's own address is used rather than one shared bucket.
"""

from __future__ import annotations

from masthead.core.clientip import client_ip


def lockout_address(request) -> str:
    return client_ip(request) or request.META.get("REMOTE_ADDR", "")
