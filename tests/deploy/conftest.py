import pytest
from django.conf import settings
from django.core.cache import cache

from tests.servers import test_database_url
from tests.topology import Topology, collect_static, make_certificate


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory):
    """A self-signed certificate, made once per test session."""
    return make_certificate(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    return collect_static(tmp_path_factory.mktemp("static"))


@pytest.fixture
def start_topology(transactional_db, tls_certificate, static_root, tmp_path):
    """Start nginx and two Daphne processes on the test database and Redis; all stop after the test."""
    started = []

    def start(**env) -> Topology:
        topology = Topology(
            workdir=tmp_path / f"topology-{len(started)}",
            certs=tls_certificate,
            static=static_root,
            database_url=test_database_url(),
            redis_url=settings.REDIS_URL,
            **{"DJANGO_SETTINGS_MODULE": "tests.topology_settings", **env},
        )
        started.append(topology)
        return topology.start()

    cache.clear()  # the remote-ticket limits count in Redis, shared with the servers
    yield start
    for topology in started:
        topology.stop()
    cache.clear()
