"""What the accounts app tells the apps above it.

:data:`user_erasing` is sent with ``user`` by :func:`accounts.data.erase_user` before the user's
data is deleted, collection by collection: a receiver removes what lives outside those
collections (the projects app: each schedule's entry in beat's own tables). A receiver that
fails stops the erasure before anything was deleted.
"""

from django.dispatch import Signal

user_erasing = Signal()
