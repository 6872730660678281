from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static

from offices.models import Office


def home(request):
    return render(request, "home.html", {"offices": Office.objects.all()})


def display(request, code: str):
    office = get_object_or_404(Office, code=code)
    config = {
        "socket": f"/ws/offices/{office.code}/display/",
        "clipBase": static("displays/voice/ru/"),
        "chime": office.display_chime,
        "voice": office.display_voice,
        "timezone": office.timezone,
    }
    return render(request, "displays/display.html", {"office": office, "config": config})
