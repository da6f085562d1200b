"""Targets: add them (one URL, an upload, a bulk paste or CSV) within the plan's limit and one
per canonical URL, pause, count and delete them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import soupsieve
from bson import ObjectId
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError

from accounts.plans import UPGRADE_PHRASE
from projects import uploads
from projects.models import (
    PlatformData,
    Project,
    Target,
    TargetOptions,
    TargetStatus,
)
from projects.platforms import CAVEATS, SORT_ORDERS, DetectedType, Platform
from projects.recognition import (
    BulkParseError,
    DuplicateLine,
    InvalidLine,
    Recognition,
    UnrecognizedURL,
    parse_bulk,
    parse_bulk_csv,
    recognize,
    recognize_upload,
)
from projects.services.base import ActionRefused, ensure_writable
from sentimatrix.mongo import collection

logger = logging.getLogger(__name__)

DUPLICATE_MESSAGE = "This target is already in the project."
_PLATFORM_DATA_FIELDS = frozenset(f.name for f in PlatformData._meta.concrete_fields)
_OPTION_FIELDS = frozenset(f.name for f in TargetOptions._meta.concrete_fields)


def target_limit_message(project: Project) -> str:
    plan = project.user.get_plan()
    return (
        f"Your {plan.label} plan allows {plan.max_targets_per_project} targets per project. "
        f"Remove one or {UPGRADE_PHRASE}."
    )


def _reserve_target_slots(project: Project, wanted: int) -> int:
    """Count up to ``wanted`` new targets in ``stats.total_targets`` within the plan's limit;
    returns how many were granted. Compare-and-set on the counter, so two requests never
    both take the last slot."""
    if wanted <= 0:
        return 0
    limit = project.user.get_plan().max_targets_per_project
    projects = collection("projects")
    if limit is None:
        projects.update_one({"_id": project.pk}, {"$inc": {"stats.total_targets": wanted}})
        return wanted
    for _ in range(20):
        doc = projects.find_one({"_id": project.pk}, {"stats.total_targets": 1})
        if doc is None:
            return 0
        current = (doc.get("stats") or {}).get("total_targets") or 0
        granted = max(0, min(wanted, limit - current))
        if not granted:
            return 0
        swapped = projects.update_one(
            {"_id": project.pk, "stats.total_targets": current}, {"$inc": {"stats.total_targets": granted}}
        )
        if swapped.modified_count:
            return granted
    return 0


def _release_target_slots(project_id: ObjectId, count: int) -> None:
    if count > 0:
        collection("projects").update_one(
            {"_id": project_id, "stats.total_targets": {"$gte": count}},
            {"$inc": {"stats.total_targets": -count}},
        )


def caveat_for(platform: str) -> str:
    """What to know before collecting the platform (a cap on reachable reviews...)."""
    return CAVEATS.get(platform, "")


def sort_orders(platform: str) -> tuple[str, ...]:
    """The sort orders a platform's collector accepts (empty: the platform has no choice)."""
    return SORT_ORDERS.get(platform, ())


def target_options(recognition: Recognition, given: dict | None = None) -> dict:
    """The platform's default options overridden by what the user gave, checked.

    Raises ``ActionRefused`` (with the field) for a sort order the platform does not have
    or a country that is not a two-letter code.
    """
    options = {k: v for k, v in (recognition.default_options or {}).items() if k in _OPTION_FIELDS}
    for key, raw in (given or {}).items():
        value = raw.strip() if isinstance(raw, str) else raw
        if key in _OPTION_FIELDS and value not in (None, ""):
            options[key] = value
    platform = Platform(recognition.platform)
    sort_by = str((given or {}).get("sort_by") or "").strip()
    if sort_by:
        allowed = sort_orders(platform)
        if not allowed:
            raise ActionRefused(f"{platform.label} targets have no sort order to choose.", field="sort_by")
        if sort_by.lower() not in allowed:
            raise ActionRefused(
                f"{platform.label} sorts by {', '.join(allowed)}, not “{sort_by}”.", field="sort_by"
            )
        options["sort_by"] = sort_by.lower()
    country = str((given or {}).get("country") or "").strip()
    if country:
        if len(country) != 2 or not country.isascii() or not country.isalpha():
            raise ActionRefused("Give the country as a two-letter code such as us or de.", field="country")
        options["country"] = country.lower()
    return options


WEB_NEEDS_SELECTORS = (
    "A web page is read with CSS selectors: add it as a “Web page” target with the selector of one "
    "review (“Test these selectors” shows what they find)."
)


def selector_error(selector: str) -> str:
    """Why ``selector`` is not a CSS selector the collector can use; "" when it is."""
    try:
        soupsieve.compile(selector)
    except soupsieve.SelectorSyntaxError:
        return f"“{selector}” is not a valid CSS selector."
    return ""


def _check_selectors(recognition: Recognition, data: dict) -> None:
    """A web page without an item selector, or with a selector that is not CSS, would fail
    at every collection: refused now."""
    if recognition.platform != Platform.WEB:
        return
    selectors = data.get("selectors") or {}
    if not selectors.get("item_selector"):
        raise ActionRefused(WEB_NEEDS_SELECTORS, field="url")
    for name, selector in selectors.items():
        error = selector_error(str(selector))
        if error:
            raise ActionRefused(error, field=name)


def _new_target(
    project: Project, recognition: Recognition, *, label: str, options: dict, extra_data: dict | None
) -> Target:
    data = {k: v for k, v in recognition.platform_data.items() if k in _PLATFORM_DATA_FIELDS}
    dropped = set(recognition.platform_data) - _PLATFORM_DATA_FIELDS
    if dropped:
        logger.warning("platform data %s of %s targets is not stored", sorted(dropped), recognition.platform)
    data.update(extra_data or {})
    _check_selectors(recognition, data)
    if recognition.needs_resolution:
        data["needs_resolution"] = True
    given = (label or "").strip()[:200]
    renamed = bool(given) and given != recognition.label[:200]  # bulk lines default to the id label
    name = recognition.name[:200]
    return Target(
        project=project,
        user_id=project.user_id,
        url=recognition.url or recognition.canonical_url,
        canonical_url=recognition.canonical_url,
        label=given if renamed else (name or recognition.label[:200]),
        name=name,
        renamed=renamed,
        platform=recognition.platform,
        detected_type=recognition.detected_type,
        platform_data=PlatformData(**data),
        options=TargetOptions(**options),
        caveat=caveat_for(recognition.platform)[:500],
    )


def _insert_target(target: Target) -> Target:
    """Validate and insert; the (project, canonical_url) unique index settles races.

    The project and user come from the owner's own project, so their existence is not
    looked up again (that would be two queries per target of a bulk add).
    """
    try:
        target.full_clean(exclude=["project", "user"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ActionRefused(f"{field}: {' '.join(messages)}") from exc
    try:
        target.save(force_insert=True)
    except IntegrityError as exc:
        raise ActionRefused(DUPLICATE_MESSAGE) from exc
    return target


def add_target(
    project: Project,
    recognition: Recognition,
    *,
    label: str = "",
    options: dict | None = None,
    extra_data: dict | None = None,
) -> Target:
    """Add a recognised target: refused on an archived project, a duplicate (same canonical
    URL) or at the plan's targets-per-project limit. ``stats.total_targets`` follows."""
    ensure_writable(project)
    if Target.objects.filter(project=project, canonical_url=recognition.canonical_url).exists():
        raise ActionRefused(DUPLICATE_MESSAGE)
    checked = target_options(recognition, options)
    if not _reserve_target_slots(project, 1):
        raise ActionRefused(target_limit_message(project))
    try:
        return _insert_target(
            _new_target(project, recognition, label=label, options=checked, extra_data=extra_data)
        )
    except BaseException:
        _release_target_slots(project.pk, 1)
        raise


def add_url_target(
    project: Project,
    url: str,
    *,
    kind: str | None = None,
    label: str = "",
    options: dict | None = None,
    selectors: dict[str, str] | None = None,
) -> Target:
    """Recognise a pasted URL and add it. ``kind`` is ``"feed"`` or ``"web"`` to take any
    http(s) URL as that generic type; a web page keeps its CSS ``selectors``.

    Raises ``ActionRefused`` with the precise reason a URL is not a target.
    """
    ensure_writable(project)
    try:
        recognition = recognize(url, hint=kind or None)
    except UnrecognizedURL as exc:
        raise ActionRefused(_sentence(exc.message), field="url") from exc
    extra = {"selectors": {k: v for k, v in (selectors or {}).items() if v}} if selectors else None
    return add_target(project, recognition, label=label, options=options, extra_data=extra)


def _sentence(message: str) -> str:
    message = message.strip()
    return (message[:1].upper() + message[1:]).rstrip(".") + "."


def add_upload_target(project: Project, uploaded: UploadedFile, *, label: str = "") -> Target:
    """Add an uploaded CSV/JSON file of reviews as a file target; the same file twice in a
    project is a duplicate whatever its name. Raises ``ActionRefused`` saying why not."""
    ensure_writable(project)
    limit = settings.FILE_IMPORT_MAX_BYTES
    if uploaded.size is not None and uploaded.size > limit:
        raise ActionRefused(f"The file is larger than the import limit of {limit:,} bytes.", field="file")
    data = uploaded.read(limit + 1)
    if len(data) > limit:
        raise ActionRefused(f"The file is larger than the import limit of {limit:,} bytes.", field="file")
    try:
        recognition = recognize_upload(uploaded.name or "", data)
    except UnrecognizedURL as exc:
        raise ActionRefused(_sentence(exc.message), field="file") from exc
    if Target.objects.filter(project=project, canonical_url=recognition.canonical_url).exists():
        raise ActionRefused("This file is already a target of the project.", field="file")
    relative = uploads.store(project.user_id, recognition, data)
    try:
        return add_target(project, recognition, label=label, extra_data={"file_path": relative})
    except BaseException:
        uploads.remove_if_unused(project.user_id, relative)
        raise


@dataclass
class BulkOutcome:
    """What a bulk add did: targets added, lines refused with their reason, repeated lines."""

    added: list[Target] = field(default_factory=list)
    invalid: list[InvalidLine] = field(default_factory=list)
    duplicates: list[DuplicateLine] = field(default_factory=list)

    @property
    def refused_text(self) -> str:
        """The refused lines, to paste back once fixed."""
        return "\n".join(line.raw for line in sorted(self.invalid))


def bulk_add(project: Project, *, text: str = "", csv_bytes: bytes | None = None) -> BulkOutcome:
    """Add every valid line of pasted text and/or an uploaded ``url,label`` CSV.

    Each line is recognised on its own: valid ones are added, invalid ones come back with
    their reason (unrecognised, already in the project, over the plan's limit), so one bad
    line never loses the good ones. Raises ``ActionRefused`` only when the input as a whole
    cannot be read (too many lines, not a CSV) or the project is archived.
    """
    ensure_writable(project)
    existing = set(
        Target.objects.filter(project=project)
        .exclude(canonical_url="")
        .values_list("canonical_url", flat=True)
    )
    outcome = BulkOutcome()
    parses = []
    try:
        if text and text.strip():
            parses.append(parse_bulk(text, existing=existing))
        if csv_bytes:
            parses.append(parse_bulk_csv(csv_bytes, existing=existing))
    except BulkParseError as exc:
        raise ActionRefused(_sentence(str(exc))) from exc
    valid = []
    first_line: dict[str, int] = {}
    for parse in parses:
        outcome.invalid += [line._replace(reason=_sentence(line.reason)) for line in parse.invalid]
        outcome.duplicates += parse.duplicates
        for line in parse.valid:
            canonical = line.recognition.canonical_url
            if canonical in first_line:  # in the pasted text and in the CSV: added once
                outcome.duplicates.append(
                    DuplicateLine(line.line_no, line.recognition.url, first_line[canonical])
                )
                continue
            first_line[canonical] = line.line_no
            valid.append(line)
    granted = _reserve_target_slots(project, len(valid))
    for index, line in enumerate(valid):
        raw = line.recognition.url or line.recognition.canonical_url
        if index >= granted:
            outcome.invalid.append(InvalidLine(line.line_no, raw, target_limit_message(project)))
            continue
        try:
            options = target_options(line.recognition)
            target = _new_target(
                project, line.recognition, label=line.label, options=options, extra_data=None
            )
            outcome.added.append(_insert_target(target))
        except ActionRefused as exc:
            _release_target_slots(project.pk, 1)
            outcome.invalid.append(InvalidLine(line.line_no, raw, exc.message))
    outcome.invalid.sort()
    return outcome


def edit_target(
    target: Target,
    *,
    label: str,
    options: dict | None = None,
    selectors: dict[str, str] | None = None,
    max_results: int | None = None,
) -> Target:
    """Rename a target (an empty label returns to the platform's name) and change its options:
    the same checks as when it was added (sort order and country for the platform, a web
    page's item selector), then saved. ``options`` and ``selectors`` replace what they name;
    ``max_results`` lowers the project's limit for this target (None: the project's)."""
    ensure_writable(target.project)
    recognition = _recognition_of(target)
    target.rename(label, fallback=recognition.label if recognition else "")
    fields = ["label", "renamed", "options", "updated_at"]
    if recognition is not None and options is not None:
        checked = target_options(recognition, options)
        for key in ("country", "language", "sort_by"):
            setattr(target.options, key, checked.get(key, ""))
    target.options.max_results = max_results
    if selectors is not None and target.platform == Platform.WEB:
        kept = {k: v for k, v in selectors.items() if v}
        _check_selectors(recognition or _web(target), {"selectors": kept})
        target.platform_data.selectors = kept
        fields.append("platform_data")
    try:
        target.full_clean(exclude=["project", "user"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ActionRefused(f"{field}: {' '.join(messages)}") from exc
    target.save(update_fields=fields)
    return target


def _recognition_of(target: Target) -> Recognition | None:
    """The target's link recognised again (its platform's defaults and id label); None for a
    file, whose "link" is no URL."""
    if target.platform == Platform.FILE:
        return None
    hint = target.platform if target.platform in (Platform.FEED, Platform.WEB) else None
    try:
        return recognize(target.url, hint=hint)
    except UnrecognizedURL:
        return None


def _web(target: Target) -> Recognition:
    return Recognition(
        Platform.WEB,
        DetectedType(target.detected_type or DetectedType.PAGE),
        {},
        target.canonical_url,
        target.label,
    )


def record_platform_name(target_id: ObjectId, name: str) -> None:
    """Store the name the platform gives the target (after a collection). The label follows
    it unless the user renamed the target; both updates are conditional, so a rename made
    meanwhile is never overwritten."""
    name = " ".join(str(name or "").split())[:200]
    if not name:
        return
    targets = collection("targets")
    targets.update_one(
        {"_id": target_id, "renamed": {"$ne": True}},
        {"$set": {"name": name, "label": name, "name_fetched": True}},
    )
    targets.update_one({"_id": target_id, "renamed": True}, {"$set": {"name": name, "name_fetched": True}})


def set_target_paused(target: Target, paused: bool) -> Target:
    """Pause a target (jobs skip it) or make it active again."""
    ensure_writable(target.project)
    target.status = TargetStatus.PAUSED if paused else TargetStatus.ACTIVE
    target.save(update_fields=["status", "updated_at"])
    return target


def deletion_counts(project: Project) -> dict[str, int]:
    """What deleting the project removes, for the page that asks to confirm."""
    return {
        "targets": Target.objects.filter(project=project).count(),
        "results": project.stats.total_results,
        "jobs": collection("scrape_jobs").count_documents({"project_id": project.pk}),
    }


def delete_target(target: Target) -> None:
    """Delete a target whose results are gone (``analysis.removal.remove_target`` removes them
    first, with their statistics): its document, its place in the plan's targets per project,
    and its uploaded file when no other target uses it."""
    if collection("targets").delete_one({"_id": target.pk}).deleted_count:
        _release_target_slots(target.project_id, 1)
    if target.platform == Platform.FILE:
        uploads.remove_if_unused(target.user_id, target.platform_data.file_path)
