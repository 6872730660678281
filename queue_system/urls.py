"""Top-level addresses: admin, API, schema, reports and the screens."""

from django.contrib import admin
from django.urls import include, path

from .health import healthz
from .openapi import DocsView, SchemaView

admin.site.site_header = "Электронная очередь ЦОК"
admin.site.site_title = "Электронная очередь"
admin.site.index_title = "Администрирование"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("queue_system.api_urls")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    # The split view loads its init script from a file, and api_docs.html drops the inline style: CSP.
    path(
        "api/docs/",
        DocsView.as_view(url_name="api-schema", template_name="api_docs.html"),
        name="api-docs",
    ),
    path("reports/", include("reports.urls")),
    path("load/", include("reports.load_urls")),
    path("", include("bookings.urls")),
    path("", include("notify.urls")),
    path("", include("displays.urls")),
]

handler400 = "queue_system.errors.bad_request"
handler403 = "queue_system.errors.permission_denied"
handler404 = "queue_system.errors.page_not_found"
handler500 = "queue_system.errors.server_error"
