"""Every error the product answers with: stable codes, HTTP statuses and Russian messages.

Services and views raise the ``QueueError`` subclasses; the API's exception
handler (queue_system/errors.py) turns them into ``{"error": {"code",
"message"}}``, and the report pages render the same message. The texts of the
generic refusals (not found, not signed in, ...) are here too, so that tests
and the API use the same constants. Who-may-act-where refusals belong to their
rules, in offices/access.py.
"""

# Generic answers, by DRF error code.
MESSAGES = {
    "not_authenticated": "Требуется вход в систему.",
    "authentication_failed": "Неверные учётные данные.",
    "permission_denied": "Недостаточно прав для этого действия.",
    "not_found": "Не найдено.",
    "parse_error": "Тело запроса не является корректным JSON.",
    "unsupported_media_type": "Неподдерживаемый тип содержимого. Отправляйте application/json.",
    "method_not_allowed": "Метод не поддерживается.",
    "throttled": "Слишком много запросов. Повторите попытку позже.",
    "bad_request": "Некорректный запрос.",
    "server_error": "Внутренняя ошибка сервера. Повторите попытку позже.",
    "csrf_failed": "Страница устарела: откройте её заново и повторите действие.",
}
SERVICE_UNAVAILABLE = "Сервис временно недоступен. Повторите попытку через минуту."
# The database is unreachable (restart, switchover to a standby): it takes seconds.
DATABASE_UNAVAILABLE = "Сервис временно недоступен: нет связи с базой данных. Повторите попытку через несколько секунд."
DATABASE_RETRY_AFTER_SECONDS = 5
PAYLOAD_TOO_LARGE = "Слишком большой запрос."
UNKNOWN_API_ADDRESS = "Такого адреса API нет."
OFFICE_NOT_FOUND = "Офис не найден."
COUNTER_NOT_FOUND = "Окно не найдено."
TICKET_NOT_FOUND = "Талон не найден."
BAD_CREDENTIALS = "Неверное имя пользователя или пароль."
# Report years the product answers for.
MIN_YEAR, MAX_YEAR = 2000, 2100


def too_many_tickets(wait_seconds: float) -> str:
    return f"Слишком много запросов талонов. Повторите через {max(1, round(wait_seconds / 60))} мин."


class QueueError(Exception):
    code = "error"
    status = 400
    message = "Ошибка запроса."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message


class InvalidTransition(QueueError):
    code = "invalid_transition"
    status = 409
    message = "Это действие недоступно для талона в текущем состоянии."
    AT_OTHER_COUNTER = "Талон вызван к другому окну."
    OTHER_OFFICE = "Перенаправить можно только на услугу этого же офиса."
    UNKNOWN_COUNTER_STATE = "Неизвестное состояние окна."
    REMOTE_BREAK_NOT_OPEN = "Отправить на перерыв можно только открытое окно."


class NotCounterHolder(QueueError):
    code = "not_counter_holder"
    status = 403
    message = "Талон вызван к окну другого оператора: работать с ним может только он или руководитель офиса."


class NotWaiting(QueueError):
    code = "not_waiting"
    status = 409
    message = "Талон уже не ожидает в очереди: отказаться от него нельзя."


class OfficeClosed(QueueError):
    code = "office_closed"
    status = 409
    message = "Офис сейчас не выдаёт талоны."

    @classmethod
    def at(cls, office, now) -> "OfficeClosed":
        """Why ``office`` does not issue at ``now``: closing soon, or closed (with its hours)."""
        if office.is_open(now):
            return cls(
                f"Выдача талонов прекращается за {office.stop_issuing_minutes} мин. до закрытия офиса. "
                "Приходите, пожалуйста, в следующий рабочий день."
            )
        hours = ", ".join(f"{d['label']} {d['hours']}" for d in office.hours_display() if d["hours"])
        return cls(f"Офис сейчас закрыт. Часы работы: {hours or 'не заданы'}.")


# What the kiosk, the ticket and the phone say of a service that no open counter serves right now.
NO_OPEN_COUNTER = "Сейчас нет открытых окон по этой услуге"


class NoOpenCounter(QueueError):
    """The office issues no ticket for a service that no open counter serves (``issue_without_counter`` off)."""

    code = "no_open_counter"
    status = 409
    message = f"{NO_OPEN_COUNTER}. Талон на неё сейчас не выдаётся — обратитесь к администратору."


class CounterBusy(QueueError):
    code = "counter_busy"
    status = 409
    message = "У окна уже есть вызванный или обслуживаемый клиент."
    STILL_SERVING = "Сначала завершите работу с текущим клиентом."
    SERVING_ELSEWHERE = "В окне {number} у вас клиент: завершите работу с ним, затем откройте это окно."
    REMOTE_SERVING = (
        "В окне обслуживают клиента. Закрыть окно или отправить его на перерыв можно после завершения обслуживания."
    )


class CounterNotOpen(QueueError):
    code = "counter_not_open"
    status = 409
    message = "Окно не открыто. Откройте окно, чтобы вызывать клиентов."


class UnknownService(QueueError):
    code = "unknown_service"
    status = 400
    message = "Такой услуги нет в этом офисе."

    @classmethod
    def named(cls, code: str) -> "UnknownService":
        return cls(f"Услуги «{code}» нет в этом офисе.")


class ServiceInactive(QueueError):
    code = "service_inactive"
    status = 400
    message = "Эта услуга сейчас недоступна."


class NumberingExhausted(QueueError):
    code = "numbering_exhausted"
    status = 409
    message = "Все номера талонов этой услуги на сегодня заняты. Обратитесь к администратору."


class TicketNotWaiting(QueueError):
    code = "ticket_not_waiting"
    status = 409
    message = "Этот талон уже вызван или больше не ожидает."


class TicketNotForCounter(QueueError):
    code = "ticket_not_for_counter"
    status = 409
    message = "Этот талон не может быть вызван к этому окну: другая услуга или он перенаправлен другому окну."


class CallChosenDisabled(QueueError):
    code = "call_chosen_disabled"
    status = 403
    message = "В этом офисе вызов выбранного талона вне очереди отключён."


class InvalidPostpone(QueueError):
    code = "invalid_postpone"
    status = 400
    message = "Отложить можно на время от 1 до 240 минут."
    MIN_MINUTES, MAX_MINUTES = 1, 240


class InvalidTransfer(QueueError):
    code = "invalid_transfer"
    status = 400
    message = "Укажите, куда перенаправить талон: услугу, окно или оператора."
    UNKNOWN_COUNTER = "Такого окна в этом офисе нет или оно выведено из работы."
    SAME_COUNTER = "Нельзя перенаправить талон в то же окно."
    UNKNOWN_OPERATOR = "Этот сотрудник не работает оператором в этом офисе."
    BOTH_TARGETS = "Перенаправьте либо в окно, либо оператору, но не туда и туда сразу."
    COUNTER_CLOSED = "Это окно закрыто: перенаправьте в открытое окно или в очередь услуги."
    OPERATOR_AWAY = "Этот оператор сейчас не работает ни в одном окне: перенаправьте в очередь услуги."


class UnknownBreakReason(QueueError):
    code = "unknown_break_reason"
    status = 400
    message = "Такой причины перерыва нет в этом офисе."


class CounterInactive(QueueError):
    code = "counter_inactive"
    status = 409
    message = "Окно выведено из работы. Его нельзя открыть."
    NO_CALLS = "Окно выведено из работы: вызывать к нему клиентов нельзя. Закройте окно."


class KioskRequired(QueueError):
    code = "kiosk_required"
    status = 403
    message = "Талон можно получить в терминале электронной очереди в офисе."


class PriorityNotAllowed(QueueError):
    code = "priority_not_allowed"
    status = 403
    message = "Льготный талон выдаётся только в терминале офиса или сотрудником."


class TooManyAttempts(QueueError):
    code = "too_many_attempts"
    status = 429
    message = "Слишком много неудачных попыток входа. Повторите попытку позже."


class InvalidYear(QueueError):
    code = "invalid_year"
    message = f"Укажите год числом от {MIN_YEAR} до {MAX_YEAR}."


class InvalidChannel(QueueError):
    code = "invalid_channel"
    message = "Канал должен быть одним из: individuals, legal_entities, cashier."
    UNKNOWN_APPEAL_CHANNEL = "Неизвестный канал обращений."


class InvalidMonth(QueueError):
    code = "invalid_month"
    message = "Укажите месяц числом от 1 до 12."


class InvalidDay(QueueError):
    code = "invalid_day"
    message = "Укажите день в виде ГГГГ-ММ-ДД в пределах отчётного года."


class InvalidFormat(QueueError):
    code = "invalid_format"
    message = "Формат должен быть json, xlsx или csv."


class InvalidIdempotencyKey(QueueError):
    code = "invalid_idempotency_key"
    status = 400
    message = "Заголовок Idempotency-Key должен содержать от 1 до 100 видимых символов ASCII (без пробелов)."


class IdempotencyMismatch(QueueError):
    code = "idempotency_mismatch"
    status = 422
    message = "Этот ключ Idempotency-Key уже использован с другим запросом. Для нового запроса отправьте новый ключ."


class InvalidOutcome(QueueError):
    code = "invalid_outcome"
    message = "Такой темы обращения у этой услуги нет."


class OutcomeRequired(QueueError):
    code = "outcome_required"
    message = "Отметьте хотя бы одну тему обращения."
