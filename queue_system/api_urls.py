"""Every /api/v1/ address with its URL name; anything else under /api/v1/ is a JSON 404."""

from django.urls import path, re_path
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound

from bookings import api as bookings_api
from events.api import Webhook, Webhooks
from feedback import api as feedback_api
from reports import api as reports_api
from reports.forecast_views import OfficeForecast
from reports.load_views import OfficeLoad
from tickets.api import AuthToken, CounterViewSet, OfficeViewSet, TicketTrack, TicketViewSet
from tickets.errors import UNKNOWN_API_ADDRESS

# Explicit wiring: every path and URL name stays as published, and each
# address names the method that serves it.
urlpatterns = [
    path("offices/", OfficeViewSet.as_view({"get": "list"}), name="api-offices"),
    path("offices/<slug:code>/", OfficeViewSet.as_view({"get": "retrieve"}), name="api-office"),
    path("offices/<slug:code>/queue/", OfficeViewSet.as_view({"get": "queue"}), name="api-office-queue"),
    path("offices/<slug:code>/tickets/", OfficeViewSet.as_view({"post": "issue"}), name="api-ticket-issue"),
    path("offices/<slug:code>/tickets/today/", TicketViewSet.as_view({"get": "today"}), name="api-office-tickets"),
    path("offices/<slug:code>/load/", OfficeLoad.as_view(), name="api-office-load"),
    path("offices/<slug:code>/forecast/", OfficeForecast.as_view(), name="api-office-forecast"),
    path("offices/<slug:code>/slots/", bookings_api.Slots.as_view(), name="api-booking-slots"),
    path("offices/<slug:code>/bookings/", bookings_api.Bookings.as_view(), name="api-bookings"),
    path("offices/<slug:code>/check-in/", bookings_api.CheckIn.as_view(), name="api-booking-check-in"),
    path("bookings/<str:token>/", bookings_api.BookingByToken.as_view(), name="api-booking"),
    path("counters/<int:pk>/", CounterViewSet.as_view({"get": "retrieve"}), name="api-counter"),
    path("counters/<int:pk>/call-next/", CounterViewSet.as_view({"post": "call_next"}), name="api-counter-call-next"),
    path("counters/<int:pk>/state/", CounterViewSet.as_view({"post": "state"}), name="api-counter-state"),
    path("counters/<int:pk>/call/", CounterViewSet.as_view({"post": "call"}), name="api-counter-call"),
    path("counters/<int:pk>/workplace/", CounterViewSet.as_view({"get": "workplace"}), name="api-counter-workplace"),
    path("counters/<int:pk>/remote/", CounterViewSet.as_view({"post": "remote"}), name="api-counter-remote"),
    path("tickets/<int:pk>/transfer/", TicketViewSet.as_view({"post": "transfer"}), name="api-ticket-transfer"),
    path("tickets/<int:pk>/cancel/", TicketViewSet.as_view({"post": "cancel"}), name="api-ticket-cancel"),
    path("tickets/<int:pk>/recall/", TicketViewSet.as_view({"post": "recall"}), name="api-ticket-recall"),
    path("tickets/<int:pk>/start/", TicketViewSet.as_view({"post": "start"}), name="api-ticket-start"),
    path("tickets/<int:pk>/finish/", TicketViewSet.as_view({"post": "finish"}), name="api-ticket-finish"),
    path("tickets/<int:pk>/no-show/", TicketViewSet.as_view({"post": "no_show"}), name="api-ticket-no-show"),
    path("tickets/<int:pk>/postpone/", TicketViewSet.as_view({"post": "postpone"}), name="api-ticket-postpone"),
    path("tickets/<str:token>/", TicketTrack.as_view(), name="api-ticket-track"),
    path("tickets/<str:token>/feedback/", feedback_api.TicketFeedback.as_view(), name="api-ticket-feedback"),
    path("counters/<int:pk>/feedback/", feedback_api.CounterFeedback.as_view(), name="api-counter-feedback"),
    path("feedback/<int:pk>/seen/", feedback_api.FeedbackSeen.as_view(), name="api-feedback-seen"),
    path("auth/token/", AuthToken.as_view(), name="api-auth-token"),
    path("reports/service-times/", reports_api.ServiceTimes.as_view(), name="api-report-service-times"),
    path("reports/channels/", reports_api.Channels.as_view(), name="api-report-channels"),
    path("reports/personal-account/", reports_api.PersonalAccount.as_view(), name="api-report-personal-account"),
    path("reports/contact-center/", reports_api.ContactCenter.as_view(), name="api-report-contact-center"),
    path("reports/bookings/", reports_api.Bookings.as_view(), name="api-report-bookings"),
    path("reports/outcomes/", reports_api.Outcomes.as_view(), name="api-report-outcomes"),
    path("reports/satisfaction/", reports_api.Satisfaction.as_view(), name="api-report-satisfaction"),
    path("reports/load/", reports_api.Load.as_view(), name="api-report-load"),
    path("reports/norm/", reports_api.Norm.as_view(), name="api-report-norm"),
    path("reports/operators/", reports_api.Operators.as_view(), name="api-report-operators"),
    path("reports/estimates/", reports_api.Estimates.as_view(), name="api-report-estimates"),
    path("webhooks/", Webhooks.as_view(), name="api-webhooks"),
    path("webhooks/<int:pk>/", Webhook.as_view(), name="api-webhook"),
]


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def unknown(request, rest: str = ""):
    """Any other address under /api/v1/ answers in the standard error format, never with an HTML page."""
    raise NotFound(UNKNOWN_API_ADDRESS)


# [\s\S]: even an address with a line break in it gets the JSON answer.
urlpatterns.append(re_path(r"^(?P<rest>[\s\S]*)$", unknown))
