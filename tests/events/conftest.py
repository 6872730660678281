import pytest

from events.models import EVENT_TYPES, Subscription
from tests.receiver import FakeReceiver

SECRET = "s3cret-for-tests"


@pytest.fixture
def receiver():
    server = FakeReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def fast_retries(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.01
    settings.WEBHOOK_RETRY_MAX_SECONDS = 0.2
    settings.WEBHOOK_TIMEOUT_SECONDS = 2


@pytest.fixture
def subscription(db, receiver) -> Subscription:
    return Subscription.objects.create(url=receiver.url, secret=SECRET, events=list(EVENT_TYPES))
