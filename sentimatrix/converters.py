"""URL converter for ObjectId primary keys: malformed ids are a 404, never a 500."""

from bson import ObjectId


class ObjectIdConverter:
    regex = "[0-9a-fA-F]{24}"

    def to_python(self, value: str) -> ObjectId:
        return ObjectId(value)

    def to_url(self, value) -> str:
        return str(value)
