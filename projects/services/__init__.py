"""Projects and targets: what the pages and commands do to them.

Views parse a request and call one of these functions; the rules live here: plan
limits, the read-only state of archived projects, one target per canonical URL,
and the counters other parts read (``projects.stats.total_targets``,
``users.usage.projects_count``), which only ever move through single-document
updates (``transaction.atomic`` does nothing on MongoDB, and workers ``$inc``
the same documents concurrently).

A refusal the user can act on is an :class:`ActionRefused` carrying the message
to show (and, for form input, the field it is about).

The actions live in ``base`` (the refusal, the archived state), ``lifecycle`` (projects) and
``targets``; callers import them from here.
"""

from projects.services.base import ARCHIVED_MESSAGE, ActionRefused, ensure_writable
from projects.services.lifecycle import (
    EDITED_CONFIG_PARTS,
    FROM_SCRATCH,
    PROJECT_DATA,
    archive_project,
    create_project,
    delete_project,
    pause_project,
    resume_project,
    save_config_as_preset,
    update_project,
)
from projects.services.targets import (
    DUPLICATE_MESSAGE,
    BulkOutcome,
    add_target,
    add_upload_target,
    add_url_target,
    bulk_add,
    caveat_for,
    delete_target,
    deletion_counts,
    edit_target,
    record_platform_name,
    selector_error,
    set_target_paused,
    sort_orders,
    target_limit_message,
    target_options,
)

__all__ = [
    "ARCHIVED_MESSAGE", "DUPLICATE_MESSAGE", "EDITED_CONFIG_PARTS", "FROM_SCRATCH", "PROJECT_DATA", "ActionRefused",
    "BulkOutcome", "add_target", "add_upload_target", "add_url_target", "archive_project", "bulk_add", "caveat_for",
    "create_project", "delete_project", "delete_target", "deletion_counts", "edit_target", "ensure_writable", "pause_project",
    "record_platform_name", "resume_project", "save_config_as_preset", "selector_error", "set_target_paused", "sort_orders", "target_limit_message",
    "target_options", "update_project",
]  # fmt: skip
