"""The shipped production files, and the README's production section against the files it names."""

import io
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from offices.models import Office
from tests.deploy.conftest import readme_production_script

ROOT = Path(settings.BASE_DIR)


@pytest.mark.nginx
def test_the_steps_before_docker_leave_what_compose_needs(readme_checkout):
    env = dict(line.split("=", 1) for line in (readme_checkout / ".env").read_text().splitlines())
    assert env["DJANGO_ALLOWED_HOSTS"] == "queue.example.ru"
    assert len(env["DJANGO_SECRET_KEY"]) >= 50
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert "./deploy/certs:/etc/nginx/certs:ro" in compose["services"]["nginx"]["volumes"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    for name in ("fullchain.pem", "privkey.pem"):
        assert (readme_checkout / "deploy" / "certs" / name).stat().st_size > 0
        assert f"/etc/nginx/certs/{name};" in nginx


def test_every_file_the_commands_name_is_in_the_image_and_loads(db):
    script = readme_production_script()
    paths = re.findall(r"/app/(\S+)", script)
    assert paths == ["config/offices.yaml"]
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in paths:
        assert (ROOT / path).is_file()
        assert not any(path.startswith(pattern.rstrip("/") + "/") or path == pattern for pattern in ignored)
        call_command("load_config", str(ROOT / path), stdout=io.StringIO())
    assert Office.objects.filter(code="main").exists()


def test_the_image_leaves_out_history_tests_and_local_files_and_runs_unprivileged():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "tests", "db.sqlite3", ".env", "deploy/certs"} <= ignored
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE)


def test_nginx_keeps_an_idle_socket_for_at_least_three_heartbeats():
    heartbeat_ms = int(re.search(r"HEARTBEAT_MS = (\d+);", (ROOT / "static/js/live.js").read_text())[1])
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    read_timeout = int(re.search(r"proxy_read_timeout (\d+)s;", nginx)[1])
    assert read_timeout * 1000 >= 3 * heartbeat_ms
    assert "proxy_set_header Upgrade $http_upgrade;" in nginx


def test_compose_tells_daphne_about_the_one_proxy_in_front():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("web1", "web2", "migrate"):
        assert compose["services"][name]["environment"]["NUM_PROXIES"] == "1"
    assert compose["services"]["nginx"]["ports"] == ["80:80", "443:443"]


def test_compose_runs_the_webhook_worker_as_its_own_service_as_the_topology_test_does():
    from tests.servers import EventWorker

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    events = compose["services"]["events"]
    assert events["command"] == ["python", *EventWorker.COMMAND]
    assert events["environment"] == compose["services"]["web1"]["environment"]
    assert events["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_ha_profile_runs_redis_with_sentinel_one_primary_one_replica_three_sentinels():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    ha = {name: service for name, service in compose["services"].items() if "ha" in service.get("profiles", [])}
    assert sorted(ha) == ["redis-primary", "redis-replica", "sentinel1", "sentinel2", "sentinel3"]
    assert ha["redis-replica"]["command"][-3:] == ["--replicaof", "redis-primary", "6379"]
    for name in ("sentinel1", "sentinel2", "sentinel3"):
        script = ha[name]["command"][-1]
        assert "sentinel monitor queue redis-primary 6379 2" in script and "--sentinel" in script
    # Without the profile nothing changes; with it, .env points the nodes at the sentinels.
    web = compose["services"]["web1"]["environment"]
    assert {"REDIS_SENTINELS", "REDIS_SENTINEL_MASTER"} <= set(web)
    assert not any("ha" in s.get("profiles", []) for n, s in compose["services"].items() if n.startswith("web"))
