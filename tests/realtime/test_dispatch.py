"""Announcements go out once the response is sent, in commit order, and a failed one does not stop the rest."""

import pytest
from django.db import transaction
from django.http import HttpResponse

from queue_system.middleware import BroadcastAfterResponseMiddleware
from tickets import dispatch

pytestmark = pytest.mark.django_db(transaction=True)


def commit(job) -> None:
    with transaction.atomic():
        dispatch.after_commit(job)


def test_inside_a_request_committed_jobs_wait_for_the_response_then_run_in_commit_order():
    ran = []
    with dispatch.after_response() as pending:
        commit(lambda: ran.append("call"))
        commit(lambda: ran.append("finish"))
        assert ran == []
    pending.flush()
    assert ran == ["call", "finish"]


def test_outside_a_request_a_job_runs_at_commit_and_never_after_a_rollback():
    ran = []
    commit(lambda: ran.append("issue"))
    assert ran == ["issue"]
    with pytest.raises(RuntimeError), transaction.atomic():
        dispatch.after_commit(lambda: ran.append("rolled back"))
        raise RuntimeError
    assert ran == ["issue"]


def test_a_failing_job_does_not_take_the_ones_behind_it():
    ran = []
    with dispatch.after_response() as pending:
        commit(lambda: 1 / 0)
        commit(lambda: ran.append("next"))
    pending.flush()
    assert ran == ["next"]


def test_the_middleware_announces_once_the_server_closes_the_sent_response():
    # Daphne (through Django's ASGI handler), a WSGI server and the test client
    # all close a response after sending it: the middleware's closer runs then.
    ran = []

    def view(request):
        commit(lambda: ran.append("sent"))
        return HttpResponse("ok")

    response = BroadcastAfterResponseMiddleware(view)(object())
    assert ran == []
    response.close()
    assert ran == ["sent"]


def test_queue_changes_of_an_office_waiting_to_go_out_become_one_message_with_every_line(office, monkeypatch):
    from tests.helpers import add_counter, add_services
    from tickets import broadcast
    from tickets.services import ticket_call_next, ticket_issue

    services = add_services(office)
    counter = add_counter(office, "1", [services["fl"]])
    sent = []
    send = broadcast._send_numbered
    monkeypatch.setattr(
        broadcast, "_send_numbered", lambda group, message: sent.append((group, message)) or send(group, message)
    )
    operators = broadcast.operators_group(office.pk)

    first = ticket_issue(office=office, service=services["fl"])
    sent.clear()
    with dispatch.after_response() as pending:
        second = ticket_issue(office=office, service=services["fl"])
        third = ticket_issue(office=office, service=services["ul"])
        called = ticket_call_next(counter=counter, operator=None)
        fourth = ticket_issue(office=office, service=services["fl"])
    pending.flush()

    queue = [m for group, m in sent if group == operators and m["type"] == "queue.updated"]
    # One message for the four changes, where the last would have gone: after the call's own message.
    assert [line["id"] for line in queue[0]["added"]] == [second.pk, third.pk, fourth.pk]
    assert queue[0]["removed"] == [called.pk] and called.pk == first.pk
    assert queue[0]["waiting"]["fl"] == 2 and queue[0]["waiting"]["ul"] == 1
    types = [m["type"] for group, m in sent if group == operators]
    assert types == ["ticket.called", "queue.updated"]
