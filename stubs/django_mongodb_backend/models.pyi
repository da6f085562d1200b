from typing import ClassVar

from django.db import models
from django.db.models.manager import BaseManager

class EmbeddedModel(models.Model):
    objects: ClassVar[BaseManager[EmbeddedModel]]

    class Meta:
        abstract = True
