"""Settings, URLs and ASGI app of one no-op view behind the product's own settings
and middleware, for daphne_floor.py. Not part of the product."""

import gc
import os

os.environ["DJANGO_SETTINGS_MODULE"] = "floor_django"

from queue_system.settings import *  # noqa: E402, F403

ROOT_URLCONF = "floor_django"

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
gc.freeze()  # as queue_system/asgi.py does

from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402


@csrf_exempt
def noop(request):
    return JsonResponse({"id": 1, "number": "А001", "position": 0}, status=201)


urlpatterns = [path("", noop)]
