"""Addresses of the public load pages (/load/); the one-office page may be framed by the company's site."""

from django.urls import path

from . import load_views

urlpatterns = [
    path("", load_views.load_list, name="load-list"),
    path("<slug:code>/", load_views.office_load_page, name="load"),
]
