"""Addresses of the managers' report pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.reports, name="reports"),
    path("disclosure/<int:year>/", views.disclosure, name="disclosure"),
]
