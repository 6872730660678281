"""Addresses of the server-rendered screens and of sign-in."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import pairing, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("display/<slug:code>/", views.display, name="display"),
    path("kiosk/<slug:code>/", views.kiosk, name="kiosk"),
    path("kiosk/pair/<str:code>/", pairing.pair_kiosk, name="kiosk-pair"),
    path("t/<str:token>/", views.tracking, name="tracking"),
    path("t/<str:token>/qr.svg", views.ticket_qr, name="ticket-qr"),
    path("operator/", views.operator_home, name="operator"),
    path("operator/<int:counter_id>/", views.operator_workplace, name="operator-workplace"),
    path("monitor/", views.monitor, name="monitor"),
    path("rate/<int:counter_id>/", views.rate, name="rate"),
]
