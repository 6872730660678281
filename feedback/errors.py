"""The feedback's refusals: stable codes, HTTP statuses and Russian messages (answered by queue_system/errors.py)."""

from tickets.errors import QueueError

FEEDBACK_NOT_FOUND = "Оценка не найдена."
TABLET_NOT_PAIRED = "Этот планшет не подключён к окну. Подключите его по ссылке из раздела «Киоски» администрирования."


class NotFinished(QueueError):
    code = "not_finished"
    status = 409
    message = "Оценить обслуживание можно после его завершения."


class AlreadyRated(QueueError):
    code = "already_rated"
    status = 409
    message = "Этот визит уже оценён. Спасибо!"


class FeedbackClosed(QueueError):
    code = "feedback_closed"
    status = 410
    message = "Оценить визит можно в течение 24 часов после обслуживания."
    TABLET = "Время для оценки истекло."

    @classmethod
    def after(cls, hours: int) -> "FeedbackClosed":
        return cls(f"Оценить визит можно в течение {hours} ч после обслуживания.")


class NotOfficeManager(QueueError):
    code = "not_office_manager"
    status = 403
    message = "Отмечать оценки может только руководитель этого офиса."


class TabletNotPaired(QueueError):
    code = "tablet_not_paired"
    status = 403
    message = TABLET_NOT_PAIRED
