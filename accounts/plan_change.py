"""How a plan changes: there is no payment provider, so a user asks (the upgrade link) and an
administrator changes it (the admin's action, audited like an edit of the user's plan)."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest

from accounts import audit
from accounts.models import Role, Status, User
from accounts.plans import PLANS


def upgrade_url() -> str:
    """Where the plans page sends a user who wants another plan: ``PLAN_UPGRADE_URL`` when the
    operator set one (a checkout or contact page), else a mail to the first administrator,
    who changes plans in the admin; "" when there is neither."""
    if settings.PLAN_UPGRADE_URL:
        return settings.PLAN_UPGRADE_URL
    admin = (
        User.objects.filter(role=Role.ADMIN, status=Status.ACTIVE)
        .order_by("created_at")
        .only("email")
        .first()
    )
    if admin is None:
        return ""
    return f"mailto:{admin.email}?subject={quote('Plan change for Sentimatrix Studio')}"


def change_plan(user: User, plan_key: str, *, request: HttpRequest | None = None) -> bool:
    """Put ``user`` on the plan ``plan_key``; True when it changed (recorded in the audit trail
    as ``admin.plan_change``). Usage counters stay: limits apply to them from the next action.
    Raises ``KeyError`` for an unknown plan."""
    if plan_key not in PLANS:
        raise KeyError(plan_key)
    old = user.plan
    if old == plan_key:
        return False
    User.objects.filter(pk=user.pk).update(plan=plan_key)
    user.plan = plan_key
    admin_id = str(request.user.pk) if request is not None and request.user.is_authenticated else ""
    audit.record("admin.plan_change", request=request, user=user, admin_id=admin_id, old=old, new=plan_key)
    return True
