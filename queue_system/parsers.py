"""The API's JSON parser: a body nested too deeply is a 400, not a RecursionError."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json recurses once per nesting level: '{"a":' × 5000 or '[' × 100000
            # exceed the interpreter's limit long before any size limit applies.
            raise ParseError("Слишком глубокая вложенность JSON.") from None
