"""OpenAPI post-processing: every operation documents the standard error body."""

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


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result
