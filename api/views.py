"""The ``/api/v1/`` endpoints: parse the request, call the product's service, serialise.

Every object is looked up among the caller's own (another user's id is a 404, as a missing
one). Each request is authenticated (token or session), checked for the scope of its
method, rate-limited, counted against the plan's monthly API calls (token requests) and
refused over the body size limit; see :class:`ApiView`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from accounts import audit
from accounts.usage import PlanLimitReached, consume
from analysis import insights_cache
from analysis.dashboard import daily_documents
from analysis.models import Result, SentimentLabel
from analysis.results_store import filters, reads, sorting
from api import serializers as s
from api.exceptions import Conflict, PayloadTooLarge, QuotaExceeded, RateLimited, error_body
from api.models import ApiToken, Scope
from api.pagination import KeysetPagination, Ordering
from projects import presets, services
from projects.forms import CONFIG_FIELDS, ProjectConfigForm, ProjectCreateForm
from projects.models import Project, ProjectStatus, Target
from scraping import jobs
from scraping.models import JobOptions, JobStatus, JobTrigger, ScrapeJob, Webhook, WebhookDelivery
from scraping.platforms import Platform
from scraping.webhooks import services as webhook_services
from sentimatrix.validators import validation_errors

# --- the base of every endpoint ---------------------------------------------------------------


def _seconds_to_next_month(now: datetime) -> int:
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (first + timedelta(days=32)).replace(day=1)
    return max(1, int((following - now).total_seconds()))


class ApiView(GenericAPIView):
    """Body size, authentication, scope, rate limits, then the monthly quota.

    ``scopes`` maps a method to the scope it needs (default: GET ``read``, others ``write``).
    Only token requests count against ``usage.api_calls_this_month``: session requests are
    the pages' own calls.
    """

    scopes: dict[str, str] = {}
    pagination_class = None

    def initial(self, request, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body at all then
        if length > settings.API_MAX_BODY_BYTES:
            raise PayloadTooLarge()
        super().initial(request, *args, **kwargs)
        if isinstance(request.auth, ApiToken):
            try:
                consume(request.user, "api_calls_this_month")
            except PlanLimitReached as exc:
                raise QuotaExceeded(_seconds_to_next_month(datetime.now(UTC)), str(exc)) from exc

    def check_throttles(self, request):
        failed = [t for t in self.get_throttles() if not t.allow_request(request, self)]
        if failed:
            wait = max(t.wait() for t in failed)
            limits = " and ".join(t.describe() for t in failed)
            raise RateLimited(wait, f"Rate limit reached ({limits}). Retry in {wait} seconds.")

    def paged(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)


def _refused(exc: services.ActionRefused):
    """A service's refusal: about one input field (400) or the object's state (409)."""
    if exc.field:
        return ValidationError({exc.field: [exc.message]})
    return Conflict(exc.message)


def own_project(request, project_id) -> Project:
    project = get_object_or_404(Project, pk=project_id, user_id=request.user.pk)
    project.user = request.user
    return project


def own_target(request, project_id, target_id) -> tuple[Project, Target]:
    project = own_project(request, project_id)
    target = get_object_or_404(Target, pk=target_id, project_id=project.pk)
    target.project = project
    return project, target


def _choice_param(request, name: str, choices) -> str | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    if value not in choices:
        raise ValidationError({name: [f"Choose one of: {', '.join(choices)}."]})
    return value


STATUS_PARAM = OpenApiParameter("status", str, enum=ProjectStatus.values, description="Only this status.")


# --- projects ---------------------------------------------------------------------------


def _project_response(project, code=status.HTTP_200_OK):
    return Response(s.ProjectSerializer(project).data, status=code)


class ProjectListView(ApiView):
    """Your projects, newest first; create one from a preset."""

    pagination_class = KeysetPagination

    @extend_schema(parameters=[STATUS_PARAM], responses=s.ProjectSerializer(many=True))
    def get(self, request):
        projects = Project.objects.filter(user_id=request.user.pk)
        wanted = _choice_param(request, "status", ProjectStatus.values)
        if wanted:
            projects = projects.filter(status=wanted)
        return self.paged(projects, s.ProjectSerializer)

    @extend_schema(request=s.ProjectCreateSerializer, responses={201: s.ProjectSerializer})
    def post(self, request):
        given = s.ProjectCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        # The pages' form knows which presets the user may start from.
        preset = data.get("preset") or request.user.settings.default_preset or presets.DEFAULT_PRESET
        form = ProjectCreateForm(
            {"name": data["name"], "description": data["description"], "start_from": preset},
            user=request.user,
        )
        if not form.is_valid():
            raise ValidationError(
                {"preset" if name == "start_from" else name: errors for name, errors in form.errors.items()}
            )
        try:
            project = services.create_project(
                request.user,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                start_from=form.cleaned_data["start_from"],
            )
        except services.ActionRefused as exc:
            raise _refused(exc) from exc
        except DjangoValidationError as exc:
            raise ValidationError({"preset": exc.messages}) from exc
        return _project_response(project, status.HTTP_201_CREATED)


# Form field <- dotted path of the config (``scrapers.commercial_config.country``).
FORM_FIELD_OF_PATH = {path: name for name, path in CONFIG_FIELDS.items()}


def _flatten(values: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in values.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out.update(_flatten(value, path))
        else:
            out[path] = value
    return out


def _config_form(request, project: Project, data: dict) -> ProjectConfigForm:
    """The project settings form of the pages, bound to the project's values with the
    request's changes: its checks (key ownership and provider, country codes...) apply."""
    blank = ProjectConfigForm(user=request.user, project=project)
    bound = {name: field.initial for name, field in blank.fields.items()}
    bound["name"] = data.get("name", project.name)
    bound["description"] = data.get("description", project.description)
    for path, value in _flatten(data.get("config") or {}).items():
        bound[FORM_FIELD_OF_PATH[path]] = "" if value is None else value
    return ProjectConfigForm(bound, user=request.user, project=project)


def _form_errors(form) -> dict:
    errors = {}
    for name, messages in form.errors.items():
        if name in CONFIG_FIELDS:
            key = f"config.{CONFIG_FIELDS[name]}"
        else:
            key = "non_field_errors" if name == "__all__" else name
        errors[key] = list(messages)
    return errors


class ProjectDetailView(ApiView):
    """One project: read it, or change its name, description and configuration."""

    @extend_schema(responses=s.ProjectSerializer)
    def get(self, request, project_id):
        return _project_response(own_project(request, project_id))

    @extend_schema(request=s.ProjectUpdateSerializer, responses=s.ProjectSerializer)
    def patch(self, request, project_id):
        project = own_project(request, project_id)
        given = s.ProjectUpdateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        form = _config_form(request, project, given.validated_data)
        if not form.is_valid():
            raise ValidationError(_form_errors(form))
        try:
            services.update_project(
                project,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                config=form.config(),
            )
        except services.ActionRefused as exc:
            raise _refused(exc) from exc
        return _project_response(Project.objects.get(pk=project.pk))


class ProjectArchiveView(ApiView):
    """Archive a project: its data stays readable, nothing changes it any more."""

    @extend_schema(request=None, responses=s.ProjectSerializer)
    def post(self, request, project_id):
        project = own_project(request, project_id)
        try:
            services.archive_project(project, request=request, user=request.user)
        except services.ActionRefused as exc:
            raise _refused(exc) from exc
        return _project_response(Project.objects.get(pk=project.pk))


# --- targets ----------------------------------------------------------------------------


class TargetListView(ApiView):
    """A project's targets; add one from a URL, recognised as on the pages."""

    pagination_class = KeysetPagination

    @extend_schema(responses=s.TargetSerializer(many=True))
    def get(self, request, project_id):
        project = own_project(request, project_id)
        return self.paged(Target.objects.filter(project_id=project.pk), s.TargetSerializer)

    @extend_schema(request=s.TargetCreateSerializer, responses={201: s.TargetSerializer})
    def post(self, request, project_id):
        project = own_project(request, project_id)
        given = s.TargetCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            target = services.add_url_target(
                project,
                data["url"],
                kind=data.get("kind"),
                label=data["label"],
                options=data.get("options"),
                selectors=data.get("selectors") if data.get("kind") == "web" else None,
            )
        except services.ActionRefused as exc:
            raise _refused(exc) from exc
        return Response(s.TargetSerializer(target).data, status=status.HTTP_201_CREATED)


class TargetBulkView(ApiView):
    """Add many targets at once."""

    @extend_schema(request=s.TargetBulkSerializer, responses=s.BulkOutcomeSerializer)
    def post(self, request, project_id):
        """Add many targets at once; each line is added or refused on its own, with the reason."""
        project = own_project(request, project_id)
        given = s.TargetBulkSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        text = "\n".join([*(u for u in data.get("urls", []) if u.strip()), data.get("text", "")]).strip()
        csv_text = data.get("csv", "")
        try:
            services.ensure_writable(project)
        except services.ActionRefused as exc:
            raise _refused(exc) from exc
        try:
            outcome = services.bulk_add(
                project, text=text, csv_bytes=csv_text.encode("utf-8") if csv_text.strip() else None
            )
        except services.ActionRefused as exc:  # the input as a whole cannot be read
            raise ValidationError({"non_field_errors": [exc.message]}) from exc
        return Response(s.BulkOutcomeSerializer(outcome).data)


class TargetDetailView(ApiView):
    """One target of a project."""

    @extend_schema(responses=s.TargetSerializer)
    def get(self, request, project_id, target_id):
        _, target = own_target(request, project_id, target_id)
        return Response(s.TargetSerializer(target).data)

    @extend_schema(responses=s.TargetRemovedSerializer)
    def delete(self, request, project_id, target_id):
        """Remove the target with its results (statistics follow)."""
        _, target = own_target(request, project_id, target_id)
        try:
            removed = services.remove_target(target)
        except services.ActionRefused as exc:
            raise _refused(exc) from exc
        return Response({"id": str(target.pk), "removed_results": removed})


# --- jobs -------------------------------------------------------------------------------

JOB_STATUS_PARAM = OpenApiParameter("status", str, enum=JobStatus.values, description="Only this status.")


class ProjectJobsView(ApiView):
    """A project's scrape jobs, newest first; start one."""

    pagination_class = KeysetPagination
    scopes = {"GET": Scope.READ, "POST": Scope.JOBS}

    @extend_schema(parameters=[JOB_STATUS_PARAM], responses=s.JobSerializer(many=True))
    def get(self, request, project_id):
        project = own_project(request, project_id)
        found = ScrapeJob.objects.filter(project_id=project.pk)
        wanted = _choice_param(request, "status", JobStatus.values)
        if wanted:
            found = found.filter(status=wanted)
        return self.paged(found, s.JobSerializer)

    @extend_schema(request=s.JobStartSerializer, responses={201: s.JobSerializer})
    def post(self, request, project_id):
        """Start collecting the project's active targets (or the ones named); trigger ``api``."""
        project = own_project(request, project_id)
        given = s.JobStartSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        target_ids = list(dict.fromkeys(data["target_ids"])) if "target_ids" in data else None
        if target_ids is not None:
            known = {
                str(pk) for pk in Target.objects.filter(project_id=project.pk).values_list("pk", flat=True)
            }
            unknown = [t for t in target_ids if t not in known]
            if unknown or not target_ids:
                raise ValidationError({"target_ids": ["Name targets of this project."]})
        options = JobOptions(**data.get("options", {}))
        errors = validation_errors(options)
        if errors:
            raise ValidationError({f"options.{path}": messages for path, messages in errors.items()})
        try:
            job = jobs.start_job(
                project,
                trigger=JobTrigger.API,
                triggered_by=request.user,
                target_ids=target_ids,
                options=options,
            )
        except jobs.JobRefused as exc:
            raise Conflict(str(exc)) from exc
        return Response(s.JobSerializer(job).data, status=status.HTTP_201_CREATED)


def own_job(request, job_id) -> ScrapeJob:
    return get_object_or_404(ScrapeJob, pk=job_id, user_id=request.user.pk)


class JobDetailView(ApiView):
    """One scrape job."""

    @extend_schema(responses=s.JobSerializer)
    def get(self, request, job_id):
        """A job with its progress and each target's status."""
        return Response(s.JobSerializer(own_job(request, job_id)).data)


class JobCancelView(ApiView):
    """Cancel a running job."""

    scopes = {"POST": Scope.JOBS}

    @extend_schema(request=None, responses=s.JobSerializer)
    def post(self, request, job_id):
        """Queued targets stop now, running ones after their current page; what was collected is kept."""
        job = own_job(request, job_id)
        if job.is_finished:
            raise Conflict(f"This job had already ended ({job.get_status_display().lower()}).")
        jobs.cancel_job(job)
        return Response(s.JobSerializer(ScrapeJob.objects.get(pk=job.pk)).data)


# --- results ----------------------------------------------------------------------------

# The explorer's sort orders a cursor can page through (relevance has no stable key).
RESULT_ORDERINGS = {
    key: Ordering(key, sort.orm_path, sort.descending) for key, sort in sorting.SORTS.items() if sort.path
}


def _many(name: str, description: str, enum=None) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        str,
        many=True,
        explode=True,
        enum=enum,
        description=f"{description} Repeat or separate with commas.",
    )


RESULT_FILTERS = [
    OpenApiParameter("q", str, description="Search the text and title."),
    _many("target", "Target ids."),
    _many("platform", "Platforms.", enum=Platform.values),
    _many("sentiment", "Sentiment labels.", enum=SentimentLabel.values),
    _many("emotion", "Primary emotions (single words)."),
    _many("language", "Language codes such as en or pt-BR."),
    OpenApiParameter("rating_min", float, description="Lowest rating (0-100)."),
    OpenApiParameter("rating_max", float, description="Highest rating (0-100)."),
    OpenApiParameter(
        "date_field", str, enum=list(filters.DATE_FIELDS), description="Dates apply to the posted (content) "
        "or the collected date."
    ),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day (in tz)."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day (in tz)."),
    OpenApiParameter("tz", str, description="IANA time zone of the days (default: yours)."),
    OpenApiParameter("flagged", bool, description="Only results whose rating and text disagree."),
    OpenApiParameter("pinned", bool, description="Only pinned results."),
    OpenApiParameter("tag", str, description="Only results with this tag."),
    OpenApiParameter("status", str, enum=list(filters.STATUSES), description="active (default): in "
                     "statistics; excluded: triaged out; all."),
    OpenApiParameter("sort", str, enum=list(RESULT_ORDERINGS), description="Default: collected (newest first)."),
]  # fmt: skip


class ResultListView(ApiView):
    """A project's analysed results."""

    pagination_class = KeysetPagination

    def get_ordering(self, request) -> Ordering:
        return self._ordering

    @extend_schema(parameters=RESULT_FILTERS, responses=s.ResultSerializer(many=True))
    def get(self, request, project_id):
        """The project's results with the explorer's filters and search, newest first by default."""
        project = own_project(request, project_id)
        sort = request.query_params.get("sort") or sorting.DEFAULT_SORT
        if sort not in RESULT_ORDERINGS:
            raise ValidationError({"sort": [f"Choose one of: {', '.join(RESULT_ORDERINGS)}."]})
        params = request.query_params.copy()
        params.pop("page", None)  # cursors page here, not page numbers
        self._selection = reads.select(request.user, project, params)
        errors = self._selection.state.errors
        if errors:
            raise ValidationError({name: [message] for name, message in errors.items()})
        self._ordering = RESULT_ORDERINGS[sort]
        return self.paged(self._selection.queryset, s.ResultSerializer)

    def read_page(self, after, size: int):
        """The page after a cursor's (value, id), read by the results store (None: the paginator
        slices the queryset, as on MongoDB)."""
        start = reads.position(*after) if after is not None else None
        return reads.keyset_page(self._selection, start, size)


class ResultDetailView(ApiView):
    """One result with its content and analysis."""

    @extend_schema(responses=s.ResultSerializer)
    def get(self, request, project_id, result_id):
        project = own_project(request, project_id)
        result = get_object_or_404(Result, pk=result_id, project_id=project.pk)
        return Response(s.ResultSerializer(result).data)


# --- statistics and insights ------------------------------------------------------------


def _target_param(request, project: Project, many: bool):
    wanted = [v for raw in request.query_params.getlist("target") for v in raw.split(",") if v.strip()]
    if not wanted:
        return None
    known = {str(pk): pk for pk in Target.objects.filter(project_id=project.pk).values_list("pk", flat=True)}
    if any(w.strip() not in known for w in wanted) or (not many and len(wanted) > 1):
        raise ValidationError(
            {"target": ["Name one target of this project." if not many else "Unknown target."]}
        )
    ids = [known[w.strip()] for w in wanted]
    return ids if many else ids[0]


class ProjectStatsView(ApiView):
    """A project's statistics."""

    @extend_schema(
        parameters=[s.StatsQuerySerializer, _many("target", "Only these targets' daily aggregates.")],
        responses=s.ProjectStatsResponseSerializer,
    )  # fmt: skip
    def get(self, request, project_id):
        """The project's counters, each target's, and the daily aggregates."""
        project = own_project(request, project_id)
        query = s.StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        days = query.validated_data["days"]
        target_ids = _target_param(request, project, many=True)
        start = datetime.now(UTC).date() - timedelta(days=days - 1)
        targets = (
            Target.objects.filter(project_id=project.pk)
            .order_by("created_at")
            .only("label", "url", "platform", "stats")
        )
        daily = sorted(
            daily_documents(project.pk, start, target_ids), key=lambda d: (d["day"], str(d["_id"]))
        )
        body = {"project_id": str(project.pk), "stats": project.stats, "targets": targets, "daily": daily}
        return Response(s.ProjectStatsResponseSerializer(body).data)


class ProjectInsightsView(ApiView):
    """What people say about the project."""

    @extend_schema(
        parameters=[
            OpenApiParameter("target", str, description="One target's insights instead of the project's.")
        ],
        responses=s.InsightsSerializer,
    )
    def get(self, request, project_id):
        """Pros, cons and topics over the newest analysed results (a cached sample)."""
        project = own_project(request, project_id)
        target_id = _target_param(request, project, many=False)
        found = insights_cache.get_insights(project.pk, target_id)
        body = {**found, "project_id": str(project.pk), "target_id": str(target_id) if target_id else None}
        return Response(s.InsightsSerializer(body).data)


# --- webhooks ---------------------------------------------------------------------------


def own_webhook(request, webhook_id) -> Webhook:
    return get_object_or_404(Webhook, pk=webhook_id, user_id=request.user.pk)


def _webhook_refused(exc: DjangoValidationError):
    # The service names fields, except for the URL check, which raises a plain message.
    if hasattr(exc, "error_dict"):
        return ValidationError(exc.message_dict)
    return ValidationError({"url": exc.messages})


def _saved(request, saved, created: bool):
    audit.record(
        "webhook.create" if created else "webhook.update",
        request=request,
        webhook=str(saved.webhook.pk),
        url=saved.webhook.url,
        events=saved.webhook.events,
    )
    saved.webhook.secret = saved.new_secret
    return Response(
        s.WebhookSavedSerializer(saved.webhook).data,
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


class WebhookListView(ApiView):
    """Your webhooks; add one."""

    pagination_class = KeysetPagination

    @extend_schema(responses=s.WebhookSerializer(many=True))
    def get(self, request):
        return self.paged(Webhook.objects.filter(user_id=request.user.pk), s.WebhookSerializer)

    @extend_schema(request=s.WebhookInputSerializer, responses={201: s.WebhookSavedSerializer})
    def post(self, request):
        """Add a webhook; a generated signing secret is in this response only."""
        given = s.WebhookInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            saved = webhook_services.create_webhook(
                request.user,
                url=data["url"],
                events=data["events"],
                label=data["label"],
                enabled=data["enabled"],
                secret_mode=data.get("secret_mode", webhook_services.SecretMode.GENERATE),
                custom_secret=data.get("custom_secret", ""),
            )
        except DjangoValidationError as exc:
            raise _webhook_refused(exc) from exc
        return _saved(request, saved, created=True)


class WebhookDetailView(ApiView):
    """One webhook."""

    @extend_schema(responses=s.WebhookSerializer)
    def get(self, request, webhook_id):
        return Response(s.WebhookSerializer(own_webhook(request, webhook_id)).data)

    @extend_schema(request=s.WebhookPatchSerializer, responses=s.WebhookSavedSerializer)
    def patch(self, request, webhook_id):
        """Change a webhook; fields left out keep their values (and the secret is kept)."""
        webhook = own_webhook(request, webhook_id)
        given = s.WebhookPatchSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            saved = webhook_services.update_webhook(
                webhook,
                url=data.get("url", webhook.url),
                events=data.get("events", webhook.events),
                label=data.get("label", webhook.label),
                enabled=data.get("enabled", webhook.enabled),
                secret_mode=data.get("secret_mode", webhook_services.SecretMode.KEEP),
                custom_secret=data.get("custom_secret", ""),
            )
        except DjangoValidationError as exc:
            raise _webhook_refused(exc) from exc
        return _saved(request, saved, created=False)

    @extend_schema(responses={204: None})
    def delete(self, request, webhook_id):
        """Delete the webhook and its delivery log."""
        webhook = own_webhook(request, webhook_id)
        audit.record("webhook.delete", request=request, webhook=str(webhook.pk), url=webhook.url)
        webhook_services.delete_webhook(webhook)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveriesView(ApiView):
    """A webhook's deliveries."""

    pagination_class = KeysetPagination

    @extend_schema(responses=s.DeliverySerializer(many=True))
    def get(self, request, webhook_id):
        """The webhook's delivery log (kept 7 days), newest first."""
        webhook = own_webhook(request, webhook_id)
        return self.paged(WebhookDelivery.objects.filter(webhook_id=webhook.pk), s.DeliverySerializer)


# --- anything else under /api/ ------------------------------------------------------------------


def not_found(request, *args, **kwargs):
    """A JSON 404 for paths the API does not have (never the HTML page)."""
    message = "No such API endpoint."
    if not request.path.endswith("/"):
        message += f" API paths end with a slash: {request.path}/"
    return JsonResponse(error_body("not_found", message), status=404)
