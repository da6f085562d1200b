"""Pages of a project's results: explorer, result page, dashboard, comparison, exports, triage,
re-analysis, and removing a target with its results.

Thin views: parse the request, call the services (``analysis.explorer``, the results store
``analysis.results_store``, ``analysis.dashboard``, ``analysis.exports``), render. Every page is the signed-in user's own
project or a 404 (someone else's project looks exactly like one that does not exist).
"""

from __future__ import annotations

from bson import ObjectId
from bson.errors import InvalidId
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import audit
from accounts.usage import PlanLimitReached, consume
from analysis import (
    bulk,
    dashboard,
    display,
    explorer,
    exports,
    insights_cache,
    markers,
    periods,
    reanalysis,
    removal,
    saved_views,
)
from analysis.dashboard.tables import TABLES, compare_table, dashboard_table
from analysis.engine.emotions import TIE_BREAK_ORDER
from analysis.models import Result, SentimentLabel
from analysis.results_store import filters, reads, sorting
from projects import pages
from projects.models import Target
from projects.platforms import Platform
from scraping.models import ScrapeJob
from sentimatrix.refusals import Refused

PINNED_IN_REPORT = 20
#: The bulk bar's buttons: (action, label), the export last.
BULK_BUTTONS = (
    ("tag", "Tag"),
    ("untag", "Untag"),
    ("exclude", "Spam / irrelevant"),
    ("include", "Include again"),
    ("pin", "Pin"),
    ("unpin", "Unpin"),
    (bulk.EXPORT, "Export selection (CSV)"),
)


def _is_partial(request) -> bool:
    """An htmx request for a fragment (a history restore wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request and not htmx.boosted


def _vary(response):
    # The same URL answers a fragment or a page depending on HX-Request: caches must know.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _explorer_context(request, project):
    targets = explorer.target_choices(project)
    selection = reads.select(request.user, project, request.GET, targets=targets)
    state = selection.state
    view = display.parse(request.GET)
    page = reads.page(selection, view.per_page or request.user.settings.results_per_page)
    platforms_here = set(Target.objects.filter(project=project).values_list("platform", flat=True))
    return {
        "project": project,
        "state": state,
        "display": view,
        "errors": {**state.errors, **view.errors},
        "page": page,
        "targets": targets,
        "chips": [(label, view.join(query)) for label, query in state.chips(targets)],
        "platform_choices": [(v, label) for v, label in Platform.choices if v in platforms_here],
        "sentiment_choices": SentimentLabel.choices,
        "emotion_suggestions": TIE_BREAK_ORDER,
        "sort_choices": [
            (k, sort.label)
            for k, sort in sorting.SORTS.items()
            if k != sorting.RELEVANCE or state.search_mode == "text"
        ],
        "status_choices": list(filters.STATUSES.items()),
        "date_field_choices": list(filters.DATE_FIELDS.items()),
        "export_formats": [(k, v[2]) for k, v in exports.FORMATS.items()],
        "layouts": display.LAYOUTS.items(),
        "columns": display.COLUMNS.items(),
        "page_sizes": display.PAGE_SIZES,
        "bulk_actions": BULK_BUTTONS,
        "current_url": request.get_full_path(),
    }


@login_required
@require_GET
def explorer_view(request, project_id):
    project = pages.own_project(request, project_id)
    context = _explorer_context(request, project)
    template = "analysis/partials/results_list.html" if _is_partial(request) else "analysis/explorer.html"
    return _vary(render(request, template, context))


@login_required
@require_GET
def result_view(request, project_id, result_id):
    project = pages.own_project(request, project_id)
    try:
        result = explorer.result_for(project, result_id)
    except Result.DoesNotExist as exc:
        raise Http404("No such result.") from exc
    job = (
        ScrapeJob.objects.filter(pk=result.scrape_job_id, project=project).first()
        if result.scrape_job_id
        else None
    )
    target = Target.objects.filter(pk=result.target_id, project=project).first()
    back = request.GET.get("back", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith(
        reverse("analysis:explorer", args=[project.pk])
    ):
        back = reverse("analysis:explorer", args=[project.pk])
    return render(
        request,
        "analysis/result.html",
        {"project": project, "result": result, "job": job, "target": target, "back": back, "terms": []},
    )


# --- triage -------------------------------------------------------------------------------


def _triage_response(request, project, result, message: str):
    if _is_partial(request):
        response = render(
            request,
            "analysis/partials/triage.html",
            {"project": project, "result": result, "notice": message},
        )
        return _vary(response)
    messages.success(request, message)
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("analysis:result", project_id=project.pk, result_id=result.pk)


def _triage_result(request, project_id, result_id):
    project = pages.own_project(request, project_id)
    try:
        return project, explorer.result_for(project, result_id)
    except Result.DoesNotExist as exc:
        raise Http404("No such result.") from exc


@login_required
@require_POST
def result_exclude(request, project_id, result_id):
    project, result = _triage_result(request, project_id, result_id)
    excluded = request.POST.get("excluded", "1") == "1"
    explorer.set_excluded(result, excluded)
    message = (
        "Marked as spam/irrelevant: left out of statistics and default views."
        if excluded
        else "Back in statistics and default views."
    )
    return _triage_response(request, project, result, message)


@login_required
@require_POST
def result_pin(request, project_id, result_id):
    project, result = _triage_result(request, project_id, result_id)
    pinned = request.POST.get("pinned", "1") == "1"
    explorer.set_pinned(result, pinned)
    return _triage_response(request, project, result, "Pinned as evidence." if pinned else "Unpinned.")


@login_required
@require_POST
def result_tags(request, project_id, result_id):
    project, result = _triage_result(request, project_id, result_id)
    tag = request.POST.get("tag", "")
    if request.POST.get("action") == "remove":
        explorer.remove_tag(result, tag)
        message = f"Tag “{tag}” removed."
    elif explorer.add_tag(result, tag):
        message = f"Tagged “{filters.clean_tag(tag)}”."
    elif not filters.clean_tag(tag):
        message = "Tags are 1 to 64 characters, without commas."
    elif len(result.tags) >= explorer.MAX_TAGS:
        message = f"A result has at most {explorer.MAX_TAGS} tags."
    else:
        message = "Already tagged so."
    return _triage_response(request, project, result, message)


def _back_to_explorer(request, project) -> str:
    """Where a bulk action returns: the explorer page it came from (``next``), else the explorer."""
    explorer_url = reverse("analysis:explorer", args=[project.pk])
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) and back.startswith(explorer_url):
        return back
    return explorer_url


@login_required
@require_POST
def results_bulk(request, project_id):
    """A bulk action on the explorer's selection: the ticked rows (``ids``) or every result
    matching the filters in the query string (``scope=all``), re-derived here."""
    project = pages.own_project(request, project_id)
    back = _back_to_explorer(request, project)
    action = request.POST.get("action", "")
    tag = request.POST.get("tag", "")
    targets = explorer.target_choices(project)
    try:
        chosen = bulk.selection_for(
            request.user,
            project,
            request.GET,
            scope=request.POST.get("scope", "ids"),
            ids=request.POST.getlist("ids"),
            targets=targets,
        )
        if action == bulk.EXPORT:
            return _export_response(request, project, chosen.selection, "csv", targets)
        many = bulk.in_background(chosen)
        if many is not None:
            bulk.start_in_background(request.user, chosen, action, tag, request.GET.urlencode())
            messages.success(request, bulk.background_message(action, many, tag))
            return redirect(back)
        total, changed = bulk.apply(chosen, action, tag)
    except bulk.BulkRefused as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(request, bulk.confirmation(action, total, changed, tag))
    return redirect(back)


# --- dashboard and comparison ---------------------------------------------------------------


def _targets(project) -> dict:
    return {str(t.pk): t for t in Target.objects.filter(project=project).order_by("created_at")}


def _dashboard_view_choice(project, targets: dict, view_id: str | None):
    """The project's saved views, the one applied (``view=<id>``) and its dashboard scope."""
    views = saved_views.views_for(project)
    if not view_id:
        return views, None, None
    try:
        view = saved_views.view_for(project, view_id)
    except saved_views.SavedViewNotFound as exc:
        raise Http404("No such view.") from exc
    return views, view, saved_views.dashboard_scope(view, list(targets))


@login_required
@require_GET
def dashboard_view(request, project_id):
    project = pages.own_project(request, project_id)
    targets = _targets(project)
    options = dashboard.DashboardOptions.parse(request.GET)
    views, view, scope = _dashboard_view_choice(project, targets, request.GET.get("view"))
    data = dashboard.project_dashboard(project, options, targets=targets, scope=scope)
    context = {
        "project": project,
        "saved_views": views,
        "saved_view": view,
        "data": data,
        "targets": targets,
        "chart_data": dashboard.chart_payload(data["charts"]),
        "point_lists": [("Pros", data["pros"]), ("Cons", data["cons"])],
        "export_formats": [(fmt, label) for fmt, (_, _, label) in exports.FORMATS.items()],
        "dashboard_tables": TABLES.items(),
        "periods": dashboard.PERIODS.items(),
        "granularities": dashboard.GRANULARITIES.items(),
        "groups": dashboard.GROUPS.items(),
        "layout": request.user.settings.dashboard_layout,
        "markers": markers.rows(data["markers"]),
        "periods_query": periods.scope_query(scope),
        "marker_max_label": markers.MAX_LABEL,
        "marker_max_note": markers.MAX_NOTE,
    }
    return render(request, "analysis/dashboard.html", context)


def _compare_options(request, targets):
    """The comparison's options from the query string; no target chosen: the first four."""
    options = dashboard.DashboardOptions.parse(request.GET, target_ids=list(targets))
    if not options.targets:
        options = dashboard.DashboardOptions(
            period=options.period, granularity=options.granularity, targets=tuple(list(targets)[:4])
        )
    return options


@login_required
@require_GET
def compare_view(request, project_id):
    project = pages.own_project(request, project_id)
    targets = _targets(project)
    options = _compare_options(request, targets)
    data = dashboard.compare_targets(project, options, targets=targets) if len(options.targets) >= 2 else None
    context = {
        "project": project,
        "data": data,
        "options": options,
        "targets": targets,
        "chart_data": dashboard.chart_payload(data["charts"]) if data else {},
        "export_formats": [(fmt, label) for fmt, (_, _, label) in exports.FORMATS.items()],
        "periods": dashboard.PERIODS.items(),
        "granularities": dashboard.GRANULARITIES.items(),
    }
    return render(request, "analysis/compare.html", context)


# --- exports --------------------------------------------------------------------------------


@login_required
@require_POST
def export_view(request, project_id, format):
    """The current filter (query string) as a file; counts as one API call of the plan."""
    fmt = format
    project = pages.own_project(request, project_id)
    if fmt not in exports.FORMATS:
        raise Http404("Unknown export format.")
    targets = explorer.target_choices(project)
    selection = reads.select(request.user, project, request.GET, targets=targets)
    return _export_response(request, project, selection, fmt, targets)


def _charge_export(request, project, back: str, *, scope: str, fmt: str, **details):
    """Count an export as one API call of the plan and audit it; at the plan's limit the refusal
    is audited and told, and the redirect back is returned (else None)."""
    try:
        consume(request.user, "api_calls_this_month")
    except PlanLimitReached as exc:
        audit.record("data.export", request=request, success=False, scope=scope, format=fmt,
                     project=str(project.pk), **details, reason=exc.message)  # fmt: skip
        messages.error(request, exc.message)
        return redirect(back)
    audit.record("data.export", request=request, scope=scope, format=fmt, project=str(project.pk), **details)
    return None


def _attachment(response, name: str):
    """``response`` as a download named ``name``."""
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _export_response(request, project, selection, fmt: str, targets: dict[str, str]):
    """A selection as a file in ``fmt``; counts as one API call of the plan."""
    query = selection.state.query_string(page=1, sort=selection.state.sort)
    back = f"{reverse('analysis:explorer', args=[project.pk])}?{query}"
    refused = _charge_export(request, project, back, scope="results", fmt=fmt, filter=query)
    if refused is not None:
        return refused
    content_type, _, _ = exports.FORMATS[fmt]
    response = StreamingHttpResponse(
        exports.export_stream(selection, fmt, targets), content_type=content_type
    )
    return _attachment(response, exports.export_filename(project, fmt))


@login_required
@require_POST
def aspects_export_view(request, project_id, format):
    """The aspects of the project (or of the target named by ``?target=``) as a file: the cached
    sample the dashboard and the comparison show. Counts as one API call of the plan."""
    fmt = format
    project = pages.own_project(request, project_id)
    if fmt not in exports.FORMATS:
        raise Http404("Unknown export format.")
    targets = _targets(project)
    target_id = request.GET.get("target") or None
    if target_id is not None and target_id not in targets:
        raise Http404("Unknown target.")
    back = reverse("analysis:compare" if target_id else "analysis:dashboard", args=[project.pk])
    refused = _charge_export(request, project, back, scope="aspects", fmt=fmt, target=target_id or "")
    if refused is not None:
        return refused
    found = insights_cache.get_insights(project.pk, targets[target_id].pk if target_id else None)
    content_type, _, _ = exports.FORMATS[fmt]
    response = HttpResponse(exports.aspects_export(found, fmt), content_type=content_type)
    return _attachment(response, exports.export_filename(project, fmt, kind="aspects"))


@login_required
@require_GET
def report_view(request, project_id):
    """A printable report of the dashboard: charts, their tables, top insights, pinned evidence."""
    project = pages.own_project(request, project_id)
    targets = _targets(project)
    options = dashboard.DashboardOptions.parse(request.GET)
    data = dashboard.project_dashboard(project, options, targets=targets)
    pinned = reads.pinned(project, PINNED_IN_REPORT)
    audit.record("data.export", request=request, scope="report", format="html", project=str(project.pk),
                 filter=options.query_string())  # fmt: skip
    context = {
        "project": project,
        "data": data,
        "targets": targets,
        "chart_data": dashboard.chart_payload(data["charts"]),
        "point_lists": [("Pros", data["pros"]), ("Cons", data["cons"])],
        "pinned": pinned,
        "target_labels": {tid: str(t) for tid, t in targets.items()},
    }
    return render(request, "analysis/report.html", context)


# --- re-analysis and removal --------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def project_reanalyse(request, project_id):
    """Re-analyse the project (or one target) with its current settings; shows the estimated
    LLM cost and asks for confirmation on large runs, then a progress bar."""
    project = pages.own_project(request, project_id)
    target = None
    if request.GET.get("target") or request.POST.get("target"):
        target = get_object_or_404(
            Target, pk=_oid(request.GET.get("target") or request.POST.get("target")), project=project
        )
    if request.method == "POST":
        if reanalysis.estimate(project, target).needs_confirmation and not request.POST.get("confirm"):
            messages.error(request, "Confirm the estimated cost to start this re-analysis.")
            return redirect("analysis:reanalyse", project_id=project.pk)
        try:
            reanalysis.start(project, target)
        except Refused as exc:
            messages.error(request, exc.message)
            return redirect("projects:detail", project_id=project.pk)
        messages.success(request, "Re-analysis started with the project's current settings.")
        return redirect("analysis:reanalyse", project_id=project.pk)
    run = reanalysis.active_run(project) or reanalysis.latest_run(project)
    context = {
        "project": project,
        "target": target,
        "estimate": reanalysis.estimate(project, target),
        "run": run,
        "progress": reanalysis.progress(run),
    }
    template = "analysis/partials/reanalyse_progress.html" if request.htmx else "analysis/reanalyse.html"
    return render(request, template, context)


def _oid(value: str):
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        raise Http404("No such target.") from None


@login_required
@require_http_methods(["GET", "POST"])
def target_remove(request, project_id, target_id):
    project, target = pages.own_target(request, project_id, target_id)
    refused = pages.read_only(request, project)
    if refused:
        return refused
    if request.method == "POST":
        try:
            removed = removal.remove_target(target)
        except Refused as exc:
            return pages.refused(request, exc, project)
        messages.success(request, f"Removed “{target.display_label}” and its {removed} result(s).")
        return redirect("projects:detail", project_id=project.pk)
    return render(request, "analysis/target_remove.html", {"project": project, "target": target})


@login_required
@require_POST
def dashboard_export_view(request, project_id, table, format):
    """One of the dashboard's tables (:data:`analysis.dashboard.tables.TABLES`) for the options
    in the query string, as a file: the figures the page shows for the same options. Counts as
    one API call of the plan."""
    fmt = format
    project = pages.own_project(request, project_id)
    if fmt not in exports.FORMATS or table not in TABLES:
        raise Http404("Unknown export.")
    options = dashboard.DashboardOptions.parse(request.GET)
    query = options.query_string()
    back = f"{reverse('analysis:dashboard', args=[project.pk])}?{query}"
    refused = _charge_export(request, project, back, scope=f"dashboard.{table}", fmt=fmt, filter=query)
    if refused is not None:
        return refused
    data = dashboard.project_dashboard(project, options, targets=_targets(project))
    found = dashboard_table(data, table)
    content_type, _, _ = exports.FORMATS[fmt]
    response = HttpResponse(
        exports.table_export(found.title, found.columns, found.rows, fmt), content_type=content_type
    )
    return _attachment(response, exports.export_filename(project, fmt, kind=table.replace("_", "-")))


@login_required
@require_POST
def compare_export_view(request, project_id, format):
    """The comparison of the targets in the query string as a file, one row per target: the
    figures the comparison page shows for the same options. Counts as one API call of the plan."""
    fmt = format
    project = pages.own_project(request, project_id)
    if fmt not in exports.FORMATS:
        raise Http404("Unknown export format.")
    targets = _targets(project)
    options = _compare_options(request, targets)
    query = options.query_string()
    back = f"{reverse('analysis:compare', args=[project.pk])}?{query}"
    if len(options.targets) < 2:
        messages.error(request, "Choose at least two targets to compare.")
        return redirect(back)
    refused = _charge_export(request, project, back, scope="compare", fmt=fmt, filter=query)
    if refused is not None:
        return refused
    found = compare_table(dashboard.compare_targets(project, options, targets=targets))
    content_type, _, _ = exports.FORMATS[fmt]
    response = HttpResponse(
        exports.table_export(found.title, found.columns, found.rows, fmt), content_type=content_type
    )
    return _attachment(response, exports.export_filename(project, fmt, kind="comparison"))
