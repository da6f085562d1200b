from typing import Any, TypeVar

from django.db.models import Model
from django.db.models.fields import Field

_ST_contra = TypeVar("_ST_contra", contravariant=True)
_GT_co = TypeVar("_GT_co", covariant=True)

# The stored value is an instance of ``embedded_model``; the plugin cannot say which, hence Any.
class EmbeddedModelField(Field[_ST_contra, _GT_co]):
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any
    embedded_model: type[Model] | str
    def __init__(self, embedded_model: type[Model] | str, *args: Any, **kwargs: Any) -> None: ...
