"""The API's JSON parser: DRF's, with JSON nested too deeply for the decoder answered as a 400.

Python's json decoder recurses once per level of nesting, so a body of 100,000 opening brackets
(200 kB, far under the upload limit) raised RecursionError, which DRF's parser does not catch:
every JSON endpoint answered it with a 500.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
