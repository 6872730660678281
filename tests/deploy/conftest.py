import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from tests.servers import test_database_url
from tests.topology import Topology, collect_static


def readme_production_script() -> str:
    """The shell block of the README's "Running in production" section."""
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    section = readme.split("## Running in production", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```sh\n(.*?)```", section, re.DOTALL)[1]


def readme_steps_before_docker() -> str:
    """Everything the README has an operator do before the first `docker compose` command."""
    lines = readme_production_script().splitlines()
    first_docker = next(n for n, line in enumerate(lines) if line.startswith("docker compose"))
    return "\n".join(lines[:first_docker]) + "\n"


@pytest.fixture(scope="session")
def readme_checkout(tmp_path_factory):
    """A folder where the README's steps before `docker compose` have run: .env and deploy/certs/."""
    folder = tmp_path_factory.mktemp("checkout")
    subprocess.run(["bash", "-euo", "pipefail", "-c", readme_steps_before_docker()], cwd=folder, check=True,
                   capture_output=True)  # fmt: skip
    return folder


@pytest.fixture(scope="session")
def tls_certificate(readme_checkout):
    """The self-signed certificate the README makes, made once per test session."""
    return readme_checkout / "deploy" / "certs"


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
