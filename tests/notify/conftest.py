import pytest

from tests.receiver import FakeReceiver

from .fakes import TOKEN, FakeTelegram


@pytest.fixture
def telegram(settings):
    fake = FakeTelegram().start()
    settings.TELEGRAM_BOT_TOKEN = TOKEN
    settings.TELEGRAM_BOT_USERNAME = "queue_test_bot"
    settings.TELEGRAM_API_URL = fake.url
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.01
    settings.WEBHOOK_RETRY_MAX_SECONDS = 0.05
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    yield fake
    fake.stop()


@pytest.fixture
def sms(settings):
    gateway = FakeReceiver().start()
    settings.SMS_GATEWAY_URL = gateway.url
    settings.SMS_GATEWAY_AUTH = "Bearer sms-key"
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.01
    settings.WEBHOOK_RETRY_MAX_SECONDS = 0.05
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    yield gateway
    gateway.stop()
