from typing import Any, TypeVar

from django.db.models.fields import Field

_ST_contra = TypeVar("_ST_contra", contravariant=True)
_GT_co = TypeVar("_GT_co", covariant=True)

class ArrayField(Field[_ST_contra, _GT_co]):
    _pyi_private_set_type: list[Any] | tuple[Any, ...]
    _pyi_private_get_type: list[Any]
    base_field: Field[Any, Any]
    def __init__(
        self, base_field: Field[Any, Any], max_size: int | None = None, size: int | None = None, **kwargs: Any
    ) -> None: ...
