from .array import ArrayField as ArrayField
from .auto import ObjectIdAutoField as ObjectIdAutoField
from .embedded_model import EmbeddedModelField as EmbeddedModelField
from .embedded_model_array import EmbeddedModelArrayField as EmbeddedModelArrayField
from .objectid import ObjectIdField as ObjectIdField
