"""The refusals of pre-booking: stable codes, HTTP statuses and Russian messages.

They are ``QueueError``s, so the one exception handler (queue_system/errors.py)
answers them like every other error; ``extra`` goes into the error body.
"""

from tickets.errors import QueueError

BOOKING_CONSENT_TEXT = (
    "Я согласен(на) на обработку моих персональных данных (имя и телефон) для предварительной записи "
    "в соответствии с Федеральным законом № 152-ФЗ «О персональных данных». Данные удаляются после визита."
)
CONSENT_REQUIRED = "Чтобы указать имя или телефон, дайте согласие на обработку персональных данных."


class SlotUnavailable(QueueError):
    code = "slot_unavailable"
    status = 400
    message = "На это время записаться нельзя."
    NOT_BOOKABLE = "На эту услугу нет предварительной записи."
    HORIZON = "На эту дату записаться нельзя: запись открыта с сегодняшнего дня на {days} дн. вперёд."
    HOLIDAY = "Этот день нерабочий: запись на него невозможна."
    OUTSIDE_HOURS = "Такого времени записи нет: выберите время из списка свободных."
    PAST = "Это время уже прошло."
    CUTOFF = "Запись на это время закрыта: записаться можно не позднее чем за {minutes} мин. до начала."


class SlotFull(QueueError):
    code = "slot_full"
    status = 409
    message = "На это время мест больше нет. Выберите другое время."


class BookingLimit(QueueError):
    code = "booking_limit"
    status = 429
    message = "Слишком много действующих записей. Отмените одну из них или дождитесь визита."
    PER_PHONE = "На этот номер телефона уже есть действующих записей: {limit}. Отмените одну или дождитесь визита."
    PER_ADDRESS = "С этого устройства уже сделано действующих записей: {limit}. Отмените одну или дождитесь визита."


class BookingNotFound(QueueError):
    code = "booking_not_found"
    status = 404
    message = "Запись не найдена. Проверьте код."
    BY_TOKEN = "Запись не найдена."


class NotCancellable(QueueError):
    code = "not_cancellable"
    status = 409
    message = "Эту запись уже нельзя отменить: визит состоялся, прошёл или запись отменена."


class TooEarly(QueueError):
    code = "too_early"
    status = 409
    message = "Слишком рано: отметиться по записи можно с {opens}."

    def __init__(self, opens_at, local_text: str):
        super().__init__(self.message.format(opens=local_text))
        self.extra = {"opens_at": opens_at.isoformat()}


class TooLate(QueueError):
    code = "too_late"
    status = 409
    message = "Время записи прошло. Возьмите, пожалуйста, обычный талон."


class AlreadyCheckedIn(QueueError):
    code = "already_checked_in"
    status = 409
    message = "По этой записи талон уже получен."


class WrongOffice(QueueError):
    code = "wrong_office"
    status = 409
    message = "Эта запись в другой офис: {office}."
