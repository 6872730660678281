"""The OpenAPI schema and its docs page: every operation documents the standard error body, and
their own errors are that body too."""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer

ERROR_STATUSES = {
    "400": "Неверный запрос",
    "401": "Требуется вход",
    "403": "Недостаточно прав",
    "404": "Не найдено",
    "405": "Метод не поддерживается",
    "409": "Конфликт состояния",
    "413": "Слишком большой запрос",
    "415": "Неподдерживаемый тип содержимого",
    "429": "Слишком много запросов",
    "503": "Сервис временно недоступен",
}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "стабильный код для программ"},
                "message": {"type": "string", "description": "текст для человека, по-русски"},
                "fields": {"type": "object", "description": "ошибки по полям, для code=invalid"},
                "opens_at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "для code=too_early: с какого момента можно получить талон по записи",
                },
            },
        }
    },
}


# Answered only where a request may carry an Idempotency-Key (tickets/idempotency.py).
IDEMPOTENCY_MISMATCH = ("422", "Ключ Idempotency-Key уже использован с другим запросом (idempotency_mismatch)")


def _error_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(status, _error_response(description))
            if any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])):
                responses.setdefault(IDEMPOTENCY_MISMATCH[0], _error_response(IDEMPOTENCY_MISMATCH[1]))
    return result


class JsonErrors:
    """Errors in the API's JSON, whatever the view renders on success.

    Content negotiation would render an error as the schema's YAML, or as the
    docs page's template (whose fallback is a bare «401» in plain text).
    """

    def handle_exception(self, exc):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


class SchemaView(JsonErrors, SpectacularAPIView):
    pass


class DocsView(JsonErrors, SpectacularSwaggerSplitView):
    pass
