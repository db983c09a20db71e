"""The API's JSON parser: DRF's, with JSON nested too deeply for the decoder, and strings holding
a lone surrogate, answered as a 400.

Python's json decoder recurses once per level of nesting, so a body of 100,000 opening brackets
(200 kB, far under the upload limit) raised RecursionError, which DRF's parser does not catch:
every JSON endpoint answered it with a 500.

An escaped lone surrogate (``"\\udc00"``, see ``lone_surrogates``) parsed into a string that the
serializers let through: the project (or run, or policy) was stored, the response to the request
was a 500, and so was every later read of it. NaN and Infinity need nothing here: DRF's parser
refuses them, and the fields refuse a number that overflows to infinity (``1e999``).
"""

import codecs
import io

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding

from annotation_site.lone_surrogates import lone_surrogate_path, may_hold_lone_surrogate


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read()
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        # the bytes are scanned only in UTF-8 (what clients send); another charset is always walked
        if _utf8(parser_context) and not may_hold_lone_surrogate(raw):
            return data
        if (path := lone_surrogate_path(data)) is not None:
            where = path or "the body"
            raise ParseError(
                f"JSON parse error - {where}: a lone surrogate (a \\uD800-\\uDFFF escape that is not half of a pair) is not text"
            )
        return data


def _utf8(parser_context) -> bool:
    return codecs.lookup(get_encoding(parser_context or {})).name == "utf-8"
