"""The client's booking pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("book/<slug:code>/", views.book, name="book"),
    path("b/<str:token>/", views.booking_page, name="booking"),
    path("b/<str:token>/cancel/", views.booking_cancel, name="booking-cancel"),
    path("b/<str:token>/qr.svg", views.booking_qr, name="booking-qr"),
]
