"""WebSocket addresses of the screens."""

from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/offices/<slug:code>/display/", consumers.DisplayConsumer.as_asgi()),
    path("ws/offices/<slug:code>/operators/", consumers.OperatorsConsumer.as_asgi()),
    path("ws/tickets/<str:token>/", consumers.TicketConsumer.as_asgi()),
]
