"""What the operators' socket (the operator screens and the manager's monitor) hears of a counter's state."""

import pytest
from channels.db import database_sync_to_async

from tests.helpers import connect_screen, receive_type
from tests.realtime.test_consumers import session_cookie
from tickets import services as svc

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_break_is_sent_with_its_reason_label_and_the_time_it_began(office, services, counters, operator):
    socket = await connect_screen("/ws/offices/main/operators/", await session_cookie(operator))
    await receive_type(socket, "snapshot")
    await database_sync_to_async(svc.counter_set_state)(
        counter=counters["2"], state="break", user=operator, reason="lunch"
    )
    update = await receive_type(socket, "counter.updated")
    assert (update["counter"], update["state"], update["status_label"]) == ("2", "break", "Перерыв")
    assert (update["break_reason"], update["break_reason_label"]) == ("lunch", "Обед")
    assert update["state_changed_at"] is not None
    await database_sync_to_async(svc.counter_set_state)(counter=counters["2"], state="open", user=operator)
    update = await receive_type(socket, "counter.updated")
    assert (update["state"], update["break_reason"], update["operator_id"]) == ("open", "", operator.pk)
    await socket.disconnect()
