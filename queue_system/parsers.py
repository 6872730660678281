"""The API's JSON parser: a body nested too deeply, or holding a lone UTF-16 surrogate, is a 400."""

import re

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# json.loads joins a valid pair (\ud83d\ude00) into one character: any surrogate left is a lone one.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_IN_BODY = "Тело запроса содержит недопустимый символ (одиночный суррогат UTF-16)."


def has_lone_surrogate(value) -> bool:
    """True if any string in parsed JSON (keys included) holds a lone surrogate."""
    stack = [value]
    while stack:  # a loop, not recursion: the body may be nested as deep as json allowed
        item = stack.pop()
        if isinstance(item, str):
            if LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json recurses once per nesting level: '{"a":' × 5000 or '[' × 100000
            # exceed the interpreter's limit long before any size limit applies.
            raise ParseError("Слишком глубокая вложенность JSON.") from None
        # "\udc00" is valid JSON but no valid text: a serializer echoing it in an
        # error (a choice field does) makes the renderer fail to encode it, a 500.
        if has_lone_surrogate(data):
            raise ParseError(SURROGATE_IN_BODY)
        return data
