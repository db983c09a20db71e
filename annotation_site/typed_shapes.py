"""Response shapes written as TypedDicts, documented by drf-spectacular like serializers.

The hottest responses (a leased comparison, a submitted judgment) are built as plain dicts: a
DRF serializer costs about a millisecond each, a tenth of a submit. Their shape is a TypedDict
that the builder returns, and this extension turns that same TypedDict into the schema: a
TypedDict named ``XOut`` is the component ``X``, and one nested in it (alone or in a list) its
own component; ``Annotated[int, {"minimum": 0}]`` adds to a field's schema what its type cannot
say. So the body and its documentation come from one definition.
"""

import typing

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import build_array_type, build_object_type, get_doc, resolve_type_hint


class TypedDictShape(OpenApiSerializerExtension):
    """Lets a TypedDict stand where drf-spectacular takes a serializer (``responses=ComparisonOut``)."""

    target_class = dict  # unused: TypedDicts are matched by ``_matches`` (they are not subclasses)

    @classmethod
    def _matches(cls, target) -> bool:
        return typing.is_typeddict(target)

    def get_name(self, auto_schema, direction) -> str:
        return self.target.__name__.removesuffix("Out")

    def map_serializer(self, auto_schema, direction) -> dict:
        hints = typing.get_type_hints(self.target, include_extras=True)
        return build_object_type(
            properties={name: _schema(hint, auto_schema, direction) for name, hint in hints.items()},
            required=sorted(self.target.__required_keys__),
            description=get_doc(self.target) or None,
        )


def _schema(hint, auto_schema, direction) -> dict:
    """A nested TypedDict as a reference to its component; any other type as drf-spectacular maps it."""
    if typing.get_origin(hint) is typing.Annotated:
        base, extra = typing.get_args(hint)
        return {**_schema(base, auto_schema, direction), **extra}
    if typing.is_typeddict(hint):
        return auto_schema.resolve_serializer(hint, direction).ref
    if typing.get_origin(hint) is list and typing.is_typeddict(typing.get_args(hint)[0]):
        return build_array_type(_schema(typing.get_args(hint)[0], auto_schema, direction))
    return resolve_type_hint(hint)
