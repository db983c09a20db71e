"""Limit/offset pages of a list, read strictly: a malformed or out-of-range ``limit`` or ``offset``
is a 400 naming it, and each list's page size bounds are in the schema.

DRF's ``LimitOffsetPagination`` answered ``limit=-1``, ``limit=abc`` and ``offset=-1`` with the
default page and cut ``limit=100000`` to its maximum without a word, so a client could not tell
that it got less than it asked for.
"""

from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import LimitOffsetPagination

from labeling.params import int_param


class BoundedPagination(LimitOffsetPagination):
    """A page of ``limit`` rows (1 to ``max_limit``, ``default_limit`` when absent) from ``offset``."""

    default_limit = 100
    max_limit = 1000

    def get_limit(self, request) -> int:
        return int_param(
            request.query_params, self.limit_query_param,
            default=self.default_limit, minimum=1, maximum=self.max_limit,
        )

    def get_offset(self, request) -> int:
        return int_param(request.query_params, self.offset_query_param, default=0, minimum=0)

    @classmethod
    def schema_parameters(cls) -> list[OpenApiParameter]:
        """``limit`` and ``offset`` as the schema documents them, with their bounds."""
        limit = {"type": "integer", "minimum": 1, "maximum": cls.max_limit, "default": cls.default_limit}
        return [
            OpenApiParameter(cls.limit_query_param, limit,
                             description=f"Page size: 1 to {cls.max_limit} (default {cls.default_limit})."),
            OpenApiParameter(cls.offset_query_param, {"type": "integer", "minimum": 0, "default": 0},
                             description="How many rows to skip before the page."),
        ]
