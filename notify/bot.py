"""The bot's side of Telegram: asking for its messages (polling) and answering them."""

import json
import logging
import urllib.error
import urllib.request

from tickets import outages

from .channels import bot_call, bot_url
from .services import bot_answer

logger = logging.getLogger(__name__)

# Telegram is reached directly, like a webhook receiver (no proxy from the environment).
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def get_updates(offset: int, timeout: int) -> list[dict]:
    body = json.dumps({"offset": offset, "timeout": timeout, "allowed_updates": ["message"]}).encode()
    request = urllib.request.Request(
        bot_url("getUpdates"), data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with _opener.open(request, timeout=timeout + 10) as response:
        answer = json.loads(response.read())
    if not answer.get("ok") or not isinstance(answer.get("result"), list):
        raise ValueError(f"getUpdates: {answer.get('description', 'no result')}")
    return answer["result"]


def poll_once(offset: int, timeout: int) -> tuple[int, int]:
    """Answer the updates Telegram holds after ``offset``. Returns (next offset, updates handled).

    The offset confirms the updates to Telegram only on the next call: after
    a crash they come again, which is harmless (a code links once, a second
    /start of it is told the link is spent).
    """
    try:
        updates = get_updates(offset, timeout)
    except (OSError, ValueError) as failure:
        # The bot's token or Telegram may be wrong or down: said once a minute, the loop goes on.
        outages.warn(logger, "telegram", "telegram getUpdates failed: %s", type(failure).__name__)
        return offset, 0
    for update in updates:
        if isinstance(update.get("update_id"), int):
            offset = max(offset, update["update_id"] + 1)
        reply = bot_answer(update)
        if reply is not None:
            chat_id, text = reply
            outcome = bot_call("sendMessage", {"chat_id": chat_id, "text": text})
            if not outcome.ok:
                logger.warning("telegram answer not sent: %s", outcome.error)
    return offset, len(updates)
