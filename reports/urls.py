"""Addresses of the managers' report pages."""

from django.urls import path

from . import forecast_views, views

urlpatterns = [
    path("", views.reports, name="reports"),
    path("disclosure/<int:year>/", views.disclosure, name="disclosure"),
    path("forecast/", forecast_views.forecast, name="forecast"),
]
