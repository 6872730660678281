"""Everything a client reads from the bot or in an SMS, in one place."""

from datetime import datetime


def people(n: int) -> str:
    """«1 человек», «3 человека», «5 человек»."""
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return f"{n} человека"
    return f"{n} человек"


def ahead(number: str, n: int) -> str:
    if n == 0:
        return f"Вы следующий: скоро вызовут ваш талон {number}."
    return f"Перед вами {people(n)}. Ваш талон {number}, пожалуйста, будьте рядом."


def called(number: str, counter: str) -> str:
    return f"Ваш талон {number} вызван к окну {counter}."


def recalled(number: str, counter: str) -> str:
    return f"Повторный вызов: вас ждут у окна {counter}, талон {number}."


def transferred(number: str, service: str, counter: str | None) -> str:
    where = f"к окну {counter}" if counter else f"в очередь «{service}»"
    return f"Ваш талон {number} перенаправлен {where}. Ожидайте вызова."


def postponed(number: str, minutes: int | None) -> str:
    if minutes:
        return f"Ваш талон {number} отложен на {minutes} мин. Затем вас вызовут в первую очередь."
    return f"Ваш талон {number} перенесён в конец очереди. Ожидайте вызова."


def _when(start: datetime) -> str:
    return f"{start:%d.%m.%Y} в {start:%H:%M}"


def booking_confirmed(office: str, service: str, start: datetime, code: str) -> str:
    return f"Вы записаны: {office}, {service}, {_when(start)}. Код записи для терминала: {code}."


def booking_reminder_day(office: str, start: datetime, code: str) -> str:
    return f"Напоминаем о записи: {office}, {_when(start)}. Код записи для терминала: {code}."


def booking_reminder_hour(office: str, start: datetime, code: str) -> str:
    return f"Через час, в {start:%H:%M}, вас ждут: {office}. Код записи для терминала: {code}."


def booking_cancelled_holiday(office: str, start: datetime) -> str:
    return (
        f"{office} не работает {start:%d.%m.%Y}: ваша запись на {start:%H:%M} отменена. "
        "Пожалуйста, запишитесь на другой день."
    )


# The bot's answers in the chat.
SUBSCRIBED = "Готово: сообщим сюда, когда подойдёт очередь талона {number} ({office})."
ALREADY = "Вы уже подписаны на уведомления о талоне {number}."
LINK_INVALID = (
    "Ссылка устарела или талон уже закрыт. Откройте страницу талона (QR-код на талоне) "
    "и нажмите «Уведомить в Telegram» ещё раз."
)
HELLO = (
    "Здравствуйте! Чтобы получать уведомления об очереди, откройте страницу своего талона "
    "(QR-код на талоне) и нажмите «Уведомить в Telegram»."
)
STOPPED = "Уведомления отключены."
