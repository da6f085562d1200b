from typing import Any, TypeVar

from django.db.models import Model

from .array import ArrayField

_ST_contra = TypeVar("_ST_contra", contravariant=True)
_GT_co = TypeVar("_GT_co", covariant=True)

class EmbeddedModelArrayField(ArrayField[_ST_contra, _GT_co]):
    def __init__(self, embedded_model: type[Model] | str, **kwargs: Any) -> None: ...
