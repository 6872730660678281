"""WebSocket addresses of the screens."""

from django.urls import path, re_path

from . import consumers

websocket_urlpatterns = [
    path("ws/offices/<slug:code>/display/", consumers.DisplayConsumer.as_asgi()),
    path("ws/offices/<slug:code>/operators/", consumers.OperatorsConsumer.as_asgi()),
    path("ws/offices/<slug:code>/monitor/", consumers.MonitorConsumer.as_asgi()),
    path("ws/tickets/<str:token>/", consumers.TicketConsumer.as_asgi()),
    # Any other path: refuse the handshake (403) instead of URLRouter's ValueError (500).
    re_path(r"", consumers.RefusedConsumer.as_asgi()),
]
