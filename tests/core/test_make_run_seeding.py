"""`make run` loads the demo only into an empty database: a second run keeps what was edited in the admin."""

import io
import re
import shlex

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from offices.models import Office
from reports.models import Disclosure
from tickets.models import Ticket


def make_run_seeding_commands() -> list[list[str]]:
    """The manage.py commands of the Makefile's `run` recipe that load data (not welcome, not daphne)."""
    makefile = (settings.BASE_DIR / "Makefile").read_text()
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    commands = []
    for line in recipe.splitlines():
        words = shlex.split(line.strip())
        if "manage.py" in words:
            args = words[words.index("manage.py") + 1 :]
            if args[0] not in ("migrate", "welcome"):
                commands.append(args)
    return commands


def make_run(**extra) -> str:
    out = io.StringIO()
    for name, *args in make_run_seeding_commands():
        if name == "seed_history":
            args = [*args, "--per-day", "1"]  # the same flow, a lighter history
        call_command(name, *args, stdout=out)
    return out.getvalue()


def test_the_run_recipe_loads_the_demo_and_its_history_without_forcing(db):
    assert make_run_seeding_commands() == [["seed_demo"], ["seed_history"]]


def test_a_second_make_run_keeps_the_admins_edits_and_says_the_demo_was_skipped(db):
    first = make_run()
    assert "Демо-конфигурация не загружена" not in first
    korocha = Office.objects.get(code="korocha")
    history = Ticket.objects.filter(imported=True).count()
    assert history > 0
    korocha.ticker_text = "Сегодня касса работает до 15:00"
    korocha.wait_norm_minutes = 7
    korocha.save()
    disclosure = Disclosure.objects.order_by("year").first()
    disclosure.measures_done = "Отредактировано в админке"
    disclosure.save()
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("my-own-password-1")
    admin.save()

    second = make_run()

    assert "Демо-конфигурация не загружена: в базе уже есть офисы." in second
    assert "seed_demo --force" in second
    korocha.refresh_from_db()
    assert (korocha.ticker_text, korocha.wait_norm_minutes) == ("Сегодня касса работает до 15:00", 7)
    disclosure.refresh_from_db()
    assert disclosure.measures_done == "Отредактировано в админке"
    assert get_user_model().objects.get(username="admin").check_password("my-own-password-1")
    assert Ticket.objects.filter(imported=True).count() == history


def test_seed_demo_force_reloads_the_demo_over_edits(db):
    call_command("seed_demo", stdout=io.StringIO())
    Office.objects.filter(code="korocha").update(ticker_text="правка")
    out = io.StringIO()
    call_command("seed_demo", "--force", stdout=out)
    assert "не загружена" not in out.getvalue()
    assert Office.objects.get(code="korocha").ticker_text != "правка"
