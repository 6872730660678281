"""Domain errors with their stable codes, HTTP statuses and Russian messages.

Services raise these; the API's exception handler turns them into
``{"error": {"code", "message"}}``. Tests compare against the same constants.
"""


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


class OfficeClosed(QueueError):
    code = "office_closed"
    status = 409
    message = "Офис сейчас не выдаёт талоны."


class CounterBusy(QueueError):
    code = "counter_busy"
    status = 409
    message = "У окна уже есть вызванный или обслуживаемый клиент."


class CounterNotOpen(QueueError):
    code = "counter_not_open"
    status = 409
    message = "Окно не открыто. Откройте окно, чтобы вызывать клиентов."


class UnknownService(QueueError):
    code = "unknown_service"
    status = 400
    message = "Такой услуги нет в этом офисе."


class ServiceInactive(QueueError):
    code = "service_inactive"
    status = 400
    message = "Эта услуга сейчас недоступна."


class NumberingExhausted(QueueError):
    code = "numbering_exhausted"
    status = 409
    message = "Все номера талонов этой услуги на сегодня заняты. Обратитесь к администратору."


class CounterInactive(QueueError):
    code = "counter_inactive"
    status = 409
    message = "Окно выведено из работы. Его нельзя открыть."
