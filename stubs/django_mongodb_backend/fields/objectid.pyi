from typing import Any, TypeVar

from bson import ObjectId
from django.db.models.expressions import Combinable
from django.db.models.fields import Field

_ST_contra = TypeVar("_ST_contra", contravariant=True)
_GT_co = TypeVar("_GT_co", covariant=True)

class ObjectIdMixin:
    def to_python(self, value: Any) -> ObjectId | None: ...

class ObjectIdField(ObjectIdMixin, Field[_ST_contra, _GT_co]):
    _pyi_private_set_type: ObjectId | str | Combinable
    _pyi_private_get_type: ObjectId
    _pyi_lookup_exact_type: ObjectId | str
