"""The saved-views panel of the explorer and the dashboard (an inclusion tag, so the pages that
show it need nothing in their views)."""

from __future__ import annotations

from django import template

from analysis import saved_views

register = template.Library()


@register.inclusion_tag("analysis/partials/saved_views.html", takes_context=True)
def saved_views_panel(context, project):
    """The project's views as links that apply them, the current one marked, with a form to save
    the current filters and forms to rename or delete each."""
    request = context["request"]
    views = saved_views.views_for(project)
    current = saved_views.parse(request.GET, saved_views.target_ids(project)).query
    return {
        "project": project,
        "views": [(view, view.query == current) for view in views],
        "query": current,
        "csrf_token": context.get("csrf_token"),
        "max_name": saved_views.MAX_NAME,
    }


@register.inclusion_tag("analysis/partials/metadata_filters.html", takes_context=True)
def metadata_filters(context):
    """The explorer's filters on what platforms report, for the platforms the project has."""
    here = {value for value, _label in context.get("platform_choices", [])}
    return {
        "state": context["state"],
        "steam": "steam" in here,
        "youtube": "youtube" in here,
        "reddit": "reddit" in here,
    }
