"""manage.py seed_demo: the demo offices and users."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from offices.groups import grant_manager_admin
from offices.models import Membership, Office

DEMO_PASSWORD = "demo-pass-2024"
SKIPPED = (
    "Демо-конфигурация не загружена: в базе уже есть офисы. Изменения, сделанные в админке, сохранены. "
    "Загрузить демо заново (с перезаписью): python manage.py seed_demo --force"
)


class Command(BaseCommand):
    help = (
        "Загрузить демонстрационные офисы и пользователей в пустую базу; "
        "в базе с офисами — только с --force. Повторный запуск ничего не дублирует."
    )

    def add_arguments(self, parser):
        parser.add_argument("--config", type=Path, default=settings.BASE_DIR / "config" / "demo.yaml")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Загрузить демо-конфигурацию и пользователей заново, даже если в базе уже есть офисы "
            "(изменения, сделанные в админке, будут перезаписаны).",
        )

    def handle(self, *args, config: Path, force: bool = False, **options):
        # `make run` calls this on every start: reloading would undo what was
        # edited in the admin since (a ticker, a wait norm, a password), so the
        # demo goes only into an empty database unless asked for explicitly.
        if not force and Office.objects.exists():
            self.stdout.write(SKIPPED)
            return
        call_command("load_config", str(config), stdout=self.stdout)
        User = get_user_model()

        def user(username: str, **fields):
            account, _ = User.objects.get_or_create(username=username, defaults=fields)
            for key, value in fields.items():
                setattr(account, key, value)
            account.set_password(DEMO_PASSWORD)
            account.save()
            return account

        user("admin", is_staff=True, is_superuser=True, first_name="Администратор")
        manager = user("manager", first_name="Руководитель", last_name="службы качества", is_staff=True)
        Membership.objects.get_or_create(user=manager, office=None, role=Membership.Role.MANAGER)
        grant_manager_admin(manager)
        rows = [("admin", "администратор, все права"), ("manager", "руководитель, все офисы")]
        korocha = Office.objects.filter(code="korocha").first()
        if korocha is not None:
            # A manager of one office only: sets up korocha in the admin, sees no other office.
            local = user("manager-korocha", first_name="Руководитель", last_name=korocha.name, is_staff=True)
            Membership.objects.get_or_create(user=local, office=korocha, role=Membership.Role.MANAGER)
            grant_manager_admin(local)
            rows.append(("manager-korocha", f"руководитель, {korocha.name}"))
        for office in Office.objects.order_by("code"):
            username = f"operator-{office.code}"
            operator = user(username, first_name="Оператор", last_name=office.name)
            Membership.objects.get_or_create(user=operator, office=office, role=Membership.Role.OPERATOR)
            rows.append((username, f"оператор, {office.name}"))
        self.stdout.write(f"Демонстрационные пользователи (пароль у всех: {DEMO_PASSWORD}):")
        for username, role in rows:
            self.stdout.write(f"  {username:<24} {role}")
