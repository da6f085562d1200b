from typing import TypeVar

from bson import ObjectId
from django.db.models.expressions import Combinable
from django.db.models.fields import AutoField

from .objectid import ObjectIdMixin

_ST_contra = TypeVar("_ST_contra", contravariant=True)
_GT_co = TypeVar("_GT_co", covariant=True)

# Django's AutoField holds an int; this one an ObjectId (hence the overridden types).
class ObjectIdAutoField(ObjectIdMixin, AutoField[_ST_contra, _GT_co]):  # type: ignore[misc]
    _pyi_private_set_type: ObjectId | str | Combinable  # type: ignore[assignment]
    _pyi_private_get_type: ObjectId  # type: ignore[assignment]
    _pyi_lookup_exact_type: ObjectId | str  # type: ignore[assignment]
