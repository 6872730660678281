"""Every form of the product, found on its pages, posted with hostile values (issue 19).

The forms come from the pages themselves: every address without parameters and
every admin change page of the world's objects is opened, as a visitor and as a
superuser, and each <form method="post"> found is posted with a lone surrogate
(alone and as a suffix) in every field, with 256- and 1,000-character values in
every field (user names included), and without its CSRF token. Never a 5xx,
never a traceback, and every refusal is the product's Russian page or JSON.
"""

from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse

from tests.helpers import add_counter, add_services, make_office, make_user
from tickets import services as svc

pytestmark = pytest.mark.postgres  # over-long user names break PostgreSQL's columns, not SQLite's

FORM = "application/x-www-form-urlencoded"
HOSTILE_FIELDS = {
    "surrogate": "\udc00",
    "surrogate suffix": "admin\ud800",
    "256 characters": "й" * 256,
    "1,000 characters": "u" * 1000,
}
NOT_POSTED = {"csrfmiddlewaretoken"}


class Forms(HTMLParser):
    """(action, field names) of every form with method="post" on a page."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, list[str]]] = []
        self.current: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.current = []
            self.found.append((attrs.get("action") or "", self.current))
        elif tag in ("input", "select", "textarea") and self.current is not None and attrs.get("name"):
            if attrs.get("type") not in ("submit", "button", "file") and attrs["name"] not in NOT_POSTED:
                self.current.append(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def body(fields: list[str], value: str) -> str:
    # A lone surrogate travels as its UTF-8 bytes, percent-encoded, as a hostile client sends it.
    encoded = quote(value.encode("utf-8", "surrogatepass"), safe="")
    return "&".join(f"{quote(name)}={encoded}" for name in fields)


def pages() -> list[str]:
    """Every address without parameters, and every admin change page of the world's objects."""
    found = []
    for pattern in _flat(get_resolver().url_patterns):
        if "(" not in pattern and "<" not in pattern and "?" not in pattern:
            found.append("/" + pattern.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", ""))
    for model in admin.site._registry:
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            found.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk]))
    return sorted(set(found))


def _flat(patterns, prefix: str = "") -> list[str]:
    found = []
    for pattern in patterns:
        regex = pattern.pattern.regex.pattern
        if isinstance(pattern, URLPattern):
            found.append(prefix + regex.lstrip("^"))
        else:
            found += _flat(pattern.url_patterns, prefix + regex.lstrip("^").rstrip("$"))
    return found


@pytest.fixture
def world(django_user_model):
    office = make_office("main")
    services = add_services(office)
    add_counter(office, "1", [services["fl"]])
    make_user(django_user_model, "op", office=office, role="operator")
    svc.ticket_issue(office=office, service=services["fl"])
    return django_user_model.objects.create_superuser("root", password="pass-12345")


def product_answer(response) -> bool:
    """A 4xx is the product's: the API's JSON error, or a Russian page (the admin's included)."""
    if response.status_code < 400:
        return True
    if response.get("Content-Type", "").startswith("application/json"):
        return bool(response.json().get("error", {}).get("code"))
    return b'<html lang="ru"' in response.content


@pytest.mark.django_db(transaction=True)
def test_every_form_answers_surrogates_long_names_and_a_missing_csrf_token_with_the_product_s_page(world):
    visitor, staff = Client(raise_request_exception=False), Client(raise_request_exception=False)
    forms: dict[tuple[str, str, tuple], None] = {}
    for who, client in (("visitor", visitor), ("staff", staff)):
        for page in pages():
            staff.force_login(world)
            response = client.get(page)
            if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
                continue
            parser = Forms()
            parser.feed(response.content.decode())
            for action, fields in parser.found:
                target = urlsplit(urljoin(page, action))
                path = target.path + (f"?{target.query}" if target.query else "")
                forms[(who, path, tuple(fields))] = None
    assert {"/login/", "/admin/login/"} <= {path for _, path, _ in forms}
    assert len(forms) > 20  # the sign-in pages, the logout button, the admin's add and change forms

    failures, requests = [], 0

    def check(kind, who, path, response):
        body = response.content[:3000]
        if response.status_code >= 500 or b"Traceback" in body or not product_answer(response):
            failures.append(f"{kind}, {who} {path}: {response.status_code} {body[:200]!r}")

    for who, path, fields in forms:
        client = staff if who == "staff" else visitor
        for kind, value in HOSTILE_FIELDS.items():
            staff.force_login(world)  # a walk through the logout form signs the staff client out
            response = client.post(path, body(list(fields), value), content_type=FORM)
            requests += 1
            check(kind, who, path, response)
            if fields and kind.startswith("surrogate") and response.status_code != 400:
                failures.append(f"{kind}, {who} {path}: {response.status_code}, not refused")
        strict = Client(enforce_csrf_checks=True, raise_request_exception=False)
        if who == "staff":
            strict.force_login(world)
        response = strict.post(path, body(list(fields), "1"), content_type=FORM)
        requests += 1
        check("no CSRF token", who, path, response)
        if response.status_code != 403 or "Страница устарела" not in response.content.decode():
            failures.append(f"no CSRF token, {who} {path}: {response.status_code}, not the product's CSRF page")
    print(f"\nForms: {len(forms)} forms, {requests} posts")
    assert not failures, "\n".join(failures[:30])
