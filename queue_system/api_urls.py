"""Every /api/v1/ address with its URL name; anything else under /api/v1/ is a JSON 404."""

from django.urls import path, re_path
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound

from offices import api as offices_api
from reports import api as reports_api
from tickets import api as tickets_api

urlpatterns = [
    path("offices/", offices_api.OfficeList.as_view(), name="api-offices"),
    path("offices/<slug:code>/", offices_api.OfficeDetail.as_view(), name="api-office"),
    path("offices/<slug:code>/queue/", offices_api.OfficeQueue.as_view(), name="api-office-queue"),
    path("offices/<slug:code>/tickets/", tickets_api.TicketIssue.as_view(), name="api-ticket-issue"),
    path("offices/<slug:code>/tickets/today/", tickets_api.OfficeTickets.as_view(), name="api-office-tickets"),
    path("counters/<int:pk>/", tickets_api.CounterDetail.as_view(), name="api-counter"),
    path("counters/<int:pk>/call-next/", tickets_api.CounterCallNext.as_view(), name="api-counter-call-next"),
    path("counters/<int:pk>/state/", tickets_api.CounterState.as_view(), name="api-counter-state"),
    path("tickets/<int:pk>/transfer/", tickets_api.TicketTransfer.as_view(), name="api-ticket-transfer"),
    path("tickets/<int:pk>/cancel/", tickets_api.TicketCancel.as_view(), name="api-ticket-cancel"),
    *[
        path(
            f"tickets/<int:pk>/{action}/",
            tickets_api.TicketAction.as_view(action_name=action),
            name=f"api-ticket-{action}",
        )
        for action in tickets_api.ACTIONS
    ],
    path("tickets/<str:token>/", tickets_api.TicketTrack.as_view(), name="api-ticket-track"),
    path("auth/token/", tickets_api.AuthToken.as_view(), name="api-auth-token"),
    path("reports/service-times/", reports_api.ServiceTimes.as_view(), name="api-report-service-times"),
    path("reports/channels/", reports_api.Channels.as_view(), name="api-report-channels"),
    path("reports/personal-account/", reports_api.PersonalAccount.as_view(), name="api-report-personal-account"),
    path("reports/contact-center/", reports_api.ContactCenter.as_view(), name="api-report-contact-center"),
]


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
def unknown(request, rest: str = ""):
    """Any other address under /api/v1/ answers in the standard error format, never with an HTML page."""
    raise NotFound("Такого адреса API нет.")


# [\s\S]: even an address with a line break in it gets the JSON answer.
urlpatterns.append(re_path(r"^(?P<rest>[\s\S]*)$", unknown))
