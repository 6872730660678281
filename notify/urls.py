from django.urls import path

from . import views

urlpatterns = [
    path("t/<str:token>/telegram/", views.subscribe_telegram, name="notify-telegram"),
    path("notify/telegram/", views.telegram_webhook, name="notify-telegram-webhook"),
]
