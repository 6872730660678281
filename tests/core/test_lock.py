"""The dependency locks: every direct requirement pinned, and an offline check that says when a lock is stale."""

import importlib.util
from pathlib import Path

from django.conf import settings


def load_checker():
    spec = importlib.util.spec_from_file_location("check_lock", Path(settings.BASE_DIR) / "tools" / "check_lock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_locks_pin_every_direct_requirement():
    assert load_checker().problems() == []


def test_a_requirement_missing_from_its_lock_or_pinned_outside_its_range_is_reported(tmp_path, monkeypatch):
    checker = load_checker()
    (tmp_path / "requirements.in").write_text("Django>=5.2,<6\nredis==8.1.0\nsegno\n")
    (tmp_path / "requirements.txt").write_text("django==5.1.4 \\\n    --hash=sha256:00\nsegno==1.6.6\n")
    (tmp_path / "requirements-dev.in").write_text("-r requirements.in\n-c requirements.txt\npytest\n")
    (tmp_path / "requirements-dev.txt").write_text("django==5.2.19\nredis==8.1.0\nsegno==1.6.6\npytest==8.4.2\n")
    monkeypatch.setattr(checker, "ROOT", tmp_path)

    assert checker.problems() == [
        "requirements.in:1: Django<6,>=5.2 is not satisfied by Django==5.1.4 in requirements.txt",
        "requirements.in:2: redis==8.1.0 has no pin in requirements.txt",
    ]
