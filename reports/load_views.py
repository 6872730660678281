"""The public load pages (/load/, /load/<office>/) and their JSON for the company's site and chat-bot.

Public and read-only: counts only, no person. The one-office page may be framed
by the company's site (settings.LOAD_FRAME_ANCESTORS); ``?embed=1`` drops the
header for that. Every other page keeps ``frame-ancestors 'none'`` and X-Frame-Options.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from offices.models import WEEKDAY_NAMES, Office
from tickets.api import office_or_404

from .forecast import hour_span, quietest_hours
from .load import office_load

# The page asks for the JSON this often; the JSON is the office's live state, current within a second
# of a change, and an HTTP cache may keep it LOAD_MAX_AGE seconds: a change shows within 10 s.
POLL_MS = 4000
LOAD_MAX_AGE = 3
# What the page says, for its first render and for the script alike (``{n}``: minutes).
LABELS = {
    "open": "Сейчас открыто",
    "closed": "Сейчас закрыто",
    "noWait": "без ожидания",
    "minutes": "≈\u00a0{n}\u00a0мин",
}
FULL_WEEKDAYS = ["понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"]


# The usual-load chart: an inline SVG (no inline style under the CSP, no script needed), in viewBox units.
BAR_SLOT, BAR_HEIGHT, BAR_TOP, CHART_HEIGHT = 30, 200, 8, 240
# Above this many hours, only every other hour is labelled.
LABEL_EVERY_HOUR = 14


def chart_bars(usual: list[dict], best: list[int]) -> list[dict]:
    """Each hour's bar: its geometry, label (every other hour's when there are many) and title."""
    peak = max((row["tickets"] for row in usual), default=0)
    bars = []
    for index, row in enumerate(usual):
        # A quiet hour keeps a sliver of a bar: the quietest (highlighted) hours are often the empty ones.
        height = max(round(row["tickets"] / peak * BAR_HEIGHT, 1) if peak else 0, 2)
        bars.append(
            {
                "x": index * BAR_SLOT + 3,
                "center": index * BAR_SLOT + BAR_SLOT // 2,
                "y": BAR_TOP + BAR_HEIGHT - height,
                "width": BAR_SLOT - 6,
                "height": height,
                "best": row["hour"] in best,
                "label": f"{row['hour']:02d}" if len(usual) <= LABEL_EVERY_HOUR or index % 2 == 0 else "",
                "title": f"{hour_span(row['hour'])}: обычно {row['tickets']:.1f} талона в час".replace(".", ","),
            }
        )
    return bars


def load_list(request):
    return render(request, "reports/load_list.html", {"offices": Office.objects.all()})


def wait_text(minutes: int) -> str:
    return LABELS["minutes"].replace("{n}", str(minutes)) if minutes else LABELS["noWait"]


def frame_policy() -> str:
    """The site's CSP with the load page's own frame-ancestors."""
    policy = [part.strip() for part in settings.CONTENT_SECURITY_POLICY.split(";") if part.strip()]
    policy = [part for part in policy if not part.startswith("frame-ancestors")]
    return "; ".join([*policy, "frame-ancestors " + " ".join(settings.LOAD_FRAME_ANCESTORS)])


@xframe_options_exempt
def office_load_page(request, code: str):
    office = get_object_or_404(Office.objects.prefetch_related("hours"), code=code)
    data = office_load(office)
    today = office.local_date()
    best = quietest_hours(data["usual_by_hour"])
    bars = chart_bars(data["usual_by_hour"], best)
    config = {
        "api": f"/api/v1/offices/{office.code}/load/",
        "timezone": office.timezone,
        "date": today.isoformat(),
        "pollMs": POLL_MS,
        "labels": LABELS,
    }
    services = [{**service, "wait_text": wait_text(service["estimated_wait_minutes"])} for service in data["services"]]
    response = render(
        request,
        "reports/load.html",
        {
            "office": office,
            "data": data,
            "services": services,
            "labels": LABELS,
            "embed": request.GET.get("embed") == "1",
            "weekday": FULL_WEEKDAYS[today.weekday()],
            "today_label": WEEKDAY_NAMES[today.weekday()],
            "bars": bars,
            "chart": {
                "width": len(bars) * BAR_SLOT,
                "height": CHART_HEIGHT,
                "label_y": CHART_HEIGHT - 8,
                "dense": len(bars) > LABEL_EVERY_HOUR,
            },
            "best": [hour_span(hour) for hour in best],
            "config": config,
        },
    )
    response["Content-Security-Policy"] = frame_policy()
    return response


class OfficeLoad(APIView):
    """The office's load now: public, for the company's site and the chat-bot."""

    @extend_schema(
        responses=OpenApiTypes.OBJECT,
        summary="Загрузка офиса сейчас (публично)",
        description=(
            "Открыт ли офис и часы работы, открытые окна, сколько человек ждёт и примерное ожидание по каждой "
            "услуге, обычная загрузка по часам в этот день недели (талонов в час за последние недели). "
            "Без персональных данных. Обновляется в течение нескольких секунд после вызова."
        ),
    )
    def get(self, request, code: str):
        response = Response(office_load(office_or_404(code)))
        patch_cache_control(response, public=True, max_age=LOAD_MAX_AGE)
        # Public counts without credentials: the company's site may read them from its own pages' scripts.
        response["Access-Control-Allow-Origin"] = "*"
        return response
