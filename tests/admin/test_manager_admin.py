"""A manager sets up their own offices in the admin, and nothing else."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client

from offices.groups import MANAGER_GROUP, MANAGER_PERMISSIONS, ensure_manager_group, grant_manager_admin
from offices.models import Counter, KioskDevice, Membership, Office, Service
from reports.models import Disclosure
from tests.helpers import add_counter, add_services, make_office, make_user

pytestmark = pytest.mark.django_db


def options(page: str, name: str) -> list[str]:
    """The values offered by the form's <select name=...>."""
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S).group(0)
    return [value for value in re.findall(r'<option value="([^"]*)"', select) if value]


@pytest.fixture
def korocha(db):
    office = make_office("korocha", name="ЦОК Короча")
    add_services(office)
    add_counter(office, "1", office.services.all())
    return office


@pytest.fixture
def belgorod(db):
    office = make_office("belgorod", name="ЦОК Белгород")
    add_services(office)
    add_counter(office, "1", office.services.all())
    return office


@pytest.fixture
def local_manager(django_user_model, korocha):
    user = make_user(django_user_model, "mgr-k", office=korocha, role=Membership.Role.MANAGER)
    grant_manager_admin(user)
    return user


@pytest.fixture
def client(local_manager):
    client = Client()
    client.force_login(local_manager)
    return client


def test_the_manager_group_has_exactly_the_listed_permissions_and_survives_a_second_ensure():
    group = ensure_manager_group()
    group.permissions.add(*Permission.objects.filter(codename__in=["add_office", "delete_user", "change_group"]))
    ensure_manager_group()
    codenames = {
        (p.content_type.app_label, p.codename) for p in Group.objects.get(name=MANAGER_GROUP).permissions.all()
    }
    expected = {(app, f"{action}_{model}") for app, model, actions in MANAGER_PERMISSIONS for action in actions}
    assert codenames == expected
    assert ("offices", "add_office") not in codenames and ("offices", "delete_office") not in codenames
    assert not any(app in ("tickets", "axes", "authtoken") for app, _ in codenames)
    assert ("auth", "change_group") not in codenames and ("auth", "delete_user") not in codenames


def test_a_manager_sees_only_their_offices_objects(client, korocha, belgorod):
    for model, own in [
        ("office", korocha.pk),
        ("service", korocha.services.first().pk),
        ("counter", korocha.counters.first().pk),
    ]:
        page = client.get(f"/admin/offices/{model}/")
        assert page.status_code == 200
        assert f"/admin/offices/{model}/{own}/change/" in page.content.decode()
    other = {
        "office": belgorod.pk,
        "service": belgorod.services.first().pk,
        "counter": belgorod.counters.first().pk,
    }
    for model, pk in other.items():
        assert f"/admin/offices/{model}/{pk}/change/" not in client.get(f"/admin/offices/{model}/").content.decode()
        # Change, delete and history of another office's object: as if it did not exist.
        for view in ("change", "delete", "history"):
            assert client.get(f"/admin/offices/{model}/{pk}/{view}/").status_code == 404, (model, view)
        assert client.post(f"/admin/offices/{model}/{pk}/change/", {}).status_code == 404


def test_a_manager_cannot_create_offices_or_move_a_service_to_another_office(client, korocha, belgorod):
    assert client.get("/admin/offices/office/add/").status_code == 403
    form = client.get("/admin/offices/service/add/").content.decode()
    assert options(form, "office") == [str(korocha.pk)]
    answer = client.post(
        "/admin/offices/service/add/",
        {"office": belgorod.pk, "code": "x", "name": "Чужая", "prefix": "Х", "channel": "cashier", "kiosk_order": 0},
    )
    assert answer.status_code == 200  # the form again, with the error
    assert "Выберите корректный вариант" in answer.content.decode()
    assert not Service.objects.filter(code="x").exists()


def test_a_counter_cannot_take_another_offices_services(client, korocha, belgorod):
    foreign = belgorod.services.first()
    answer = client.post(
        "/admin/offices/counter/add/",
        {"office": korocha.pk, "number": "9", "services": [foreign.pk], "active": "on"},
    )
    assert answer.status_code == 200
    assert not Counter.objects.filter(office=korocha, number="9").exists()


def test_a_manager_edits_their_office_but_not_its_code_nor_its_kiosk_protections(client, korocha):
    url = f"/admin/offices/office/{korocha.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="name"' in page
    for field in ("code", "kiosk_open", "remote_tickets"):
        assert f'name="{field}"' not in page

    from tests.admin.test_office_forms import form_data

    # Were they editable, this would open the kiosk, rename the office and (unticked) end remote tickets.
    data = form_data(page) | {"kiosk_open": "on", "code": "elsewhere"}
    data.pop("remote_tickets", None)
    assert client.post(url, data).status_code == 302
    korocha.refresh_from_db()
    assert (korocha.code, korocha.kiosk_open, korocha.remote_tickets) == ("korocha", False, True)


def test_a_manager_creates_an_operator_of_their_office_without_admin_access(client, korocha, belgorod):
    answer = client.post(
        "/admin/auth/user/add/",
        {
            "username": "new-op",
            "first_name": "Новый",
            "last_name": "Оператор",
            "office": korocha.pk,
            "password1": "long-enough-pass-931",
            "password2": "long-enough-pass-931",
            # Sent by a hostile form: never applied.
            "is_staff": "on",
            "is_superuser": "on",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="new-op")
    assert not user.is_staff and not user.is_superuser and not user.groups.exists()
    assert list(user.memberships.values_list("office__code", "role")) == [("korocha", "operator")]
    # An office the manager does not manage is not offered.
    assert options(client.get("/admin/auth/user/add/").content.decode(), "office") == [str(korocha.pk)]


def test_a_manager_cannot_reach_or_escalate_other_accounts(client, django_user_model, korocha, belgorod, local_manager):
    op_k = make_user(django_user_model, "op-k", office=korocha, role=Membership.Role.OPERATOR)
    op_b = make_user(django_user_model, "op-b", office=belgorod, role=Membership.Role.OPERATOR)
    admin_user = make_user(django_user_model, "root", is_staff=True, is_superuser=True)
    listing = client.get("/admin/auth/user/").content.decode()
    assert f"/admin/auth/user/{op_k.pk}/change/" in listing
    for other in (op_b, admin_user, local_manager):
        assert client.get(f"/admin/auth/user/{other.pk}/change/").status_code == 404
        assert client.get(f"/admin/auth/user/{other.pk}/password/").status_code == 404
    page = client.get(f"/admin/auth/user/{op_k.pk}/change/").content.decode()
    for field in ("is_staff", "is_superuser", "groups", "user_permissions"):
        assert f'name="{field}"' not in page
    client.post(
        f"/admin/auth/user/{op_k.pk}/change/",
        {"username": "op-k", "first_name": "Опер", "last_name": "", "is_active": "on", "is_staff": "on",
         "is_superuser": "on"},
    )  # fmt: skip
    op_k.refresh_from_db()
    assert op_k.first_name == "Опер" and not op_k.is_staff and not op_k.is_superuser
    assert client.get("/admin/auth/group/").status_code == 403


def test_a_manager_adds_only_operators_to_only_their_offices(
    client, django_user_model, korocha, belgorod, local_manager
):
    op_k = make_user(django_user_model, "op-k", office=korocha, role=Membership.Role.OPERATOR)
    form = client.get("/admin/offices/membership/add/").content.decode()
    assert options(form, "role") == ["operator"] and options(form, "office") == [str(korocha.pk)]
    assert options(form, "user") == [str(op_k.pk)]
    answer = client.post("/admin/offices/membership/add/", {"user": op_k.pk, "office": "", "role": "manager"})
    assert answer.status_code == 200
    assert not Membership.objects.filter(user=op_k, role="manager").exists()
    listing = client.get("/admin/offices/membership/").content.decode()
    own = Membership.objects.get(user=local_manager)
    operator_row = Membership.objects.get(user=op_k)
    assert f"/membership/{operator_row.pk}/change/" in listing
    # Managers' appointments are an administrator's to change.
    assert f"/membership/{own.pk}/change/" not in listing
    assert client.get(f"/admin/offices/membership/{own.pk}/delete/").status_code == 404


def test_a_manager_edits_the_disclosure_texts(client):
    answer = client.post("/admin/reports/disclosure/add/", {"year": 2025, "company": "АО «Тест»"})
    assert answer.status_code == 302
    assert Disclosure.objects.filter(year=2025).exists()


def test_a_manager_cannot_see_tickets_or_sign_in_protection(client):
    for path in ("/admin/tickets/ticket/", "/admin/axes/accessattempt/", "/admin/authtoken/tokenproxy/"):
        assert client.get(path).status_code == 403, path


def test_a_kiosk_of_another_office_is_out_of_reach(client, korocha, belgorod):
    kiosk = KioskDevice.objects.create(office=belgorod, name="Чужой")
    assert client.get(f"/admin/offices/kioskdevice/{kiosk.pk}/change/").status_code == 404
    assert client.post(
        "/admin/offices/kioskdevice/", {"action": "revoke", "_selected_action": [kiosk.pk]}
    ).status_code in (200, 302)
    kiosk.refresh_from_db()
    assert kiosk.revoked_at is None


def test_the_sign_in_tells_an_operator_they_have_no_admin_access(django_user_model, korocha):
    make_user(django_user_model, "op-k", office=korocha, role=Membership.Role.OPERATOR)
    page = Client().post("/admin/login/", {"username": "op-k", "password": "pass-12345"}).content.decode()
    assert "нет доступа к администрированию" in page
    wrong = Client().post("/admin/login/", {"username": "op-k", "password": "wrong"}).content.decode()
    assert "Неверное имя пользователя или пароль" in wrong and "нет доступа" not in wrong


def test_a_manager_signs_in_to_the_admin(local_manager):
    client = Client()
    answer = client.post("/admin/login/?next=/admin/", {"username": "mgr-k", "password": "pass-12345"})
    assert answer.status_code == 302 and answer["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_seed_demo_adds_a_manager_of_korocha_only(django_user_model):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # again: nothing doubles
    local = django_user_model.objects.get(username="manager-korocha")
    assert local.check_password("demo-pass-2024")
    assert local.is_staff and not local.is_superuser
    assert list(local.groups.values_list("name", flat=True)) == [MANAGER_GROUP]
    assert list(local.memberships.values_list("office__code", "role")) == [("korocha", "manager")]
    company = django_user_model.objects.get(username="manager")
    assert company.is_staff and company.groups.filter(name=MANAGER_GROUP).exists()
    for operator in django_user_model.objects.filter(username__startswith="operator-"):
        assert not operator.is_staff
    assert Office.objects.filter(code="korocha").exists()


def test_a_superuser_gives_managers_admin_access_with_one_action(django_user_model, korocha):
    boss = make_user(django_user_model, "boss", office=korocha, role=Membership.Role.MANAGER)
    operator = make_user(django_user_model, "op-k", office=korocha, role=Membership.Role.OPERATOR)
    root = Client()
    root.force_login(make_user(django_user_model, "root", is_staff=True, is_superuser=True))
    answer = root.post(
        "/admin/auth/user/", {"action": "grant_manager_admin", "_selected_action": [boss.pk, operator.pk]}
    )
    assert answer.status_code == 302
    boss.refresh_from_db()
    operator.refresh_from_db()
    assert boss.is_staff and boss.groups.filter(name=MANAGER_GROUP).exists()
    assert not operator.is_staff and not operator.groups.exists()


def test_a_manager_is_not_offered_the_grant_action(client):
    assert "grant_manager_admin" not in client.get("/admin/auth/user/").content.decode()


def test_a_manager_saves_their_office_page_with_hours_services_and_counters(client, korocha):
    from tests.admin.test_office_forms import form_data

    url = f"/admin/offices/office/{korocha.pk}/change/"
    data = form_data(client.get(url).content.decode())
    data["ticker_text"] = "Новая строка"
    data["services-0-description"] = "Одна строка под названием"
    answer = client.post(url, data)
    assert answer.status_code == 302, re.findall(r"errorlist[^>]*>(.*?)</ul>", answer.content.decode())
    korocha.refresh_from_db()
    assert korocha.ticker_text == "Новая строка" and korocha.code == "korocha"
    assert korocha.services.filter(description="Одна строка под названием").exists()


def test_a_manager_deletes_a_new_service_of_their_office_but_not_another_offices(client, korocha, belgorod):
    mine = Service.objects.create(office=korocha, code="new", name="Новая", prefix="Н", channel="cashier")
    theirs = Service.objects.create(office=belgorod, code="new", name="Чужая", prefix="Н", channel="cashier")
    selected = {"action": "delete_selected", "_selected_action": [mine.pk, theirs.pk], "post": "yes"}
    assert client.post("/admin/offices/service/", selected).status_code == 302
    assert not Service.objects.filter(pk=mine.pk).exists()
    assert Service.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("debug", [True, False])
def test_another_offices_object_is_the_admins_russian_404_with_debug_on_or_off(client, belgorod, settings, debug):
    settings.DEBUG = debug  # `make run` runs with DEBUG on: Django's English debug page answered there
    page = client.get(f"/admin/offices/counter/{belgorod.counters.first().pk}/change/")
    assert page.status_code == 404
    html = page.content.decode()
    assert "Страница не найдена" in html and "относится к офису, которым вы не управляете" in html
    assert "Электронная очередь ЦОК" in html  # the admin's header, with the way back
    assert 'href="/admin/"' in html
    assert "Page not found" not in html and "URLconf" not in html
    # The admin itself still works around it.
    assert client.get("/admin/offices/counter/").status_code == 200
