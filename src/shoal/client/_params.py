"""How request options are spelled on the wire: query parameters and the ``DeleteOptions`` body.

The apiserver parses these names and values exactly (``dryRun=All``, ``resourceVersionMatch``,
``sendInitialEvents`` requiring ``resourceVersionMatch=NotOlderThan``); keeping the spelling in one
module keeps ``HttpClient`` a plain map from verbs to requests, and makes the mapping testable alone.
"""

from __future__ import annotations

from shoal.api import Object, Preconditions, PropagationPolicy


def write_params(
    dry_run: bool,
    field_manager: str | None,
    force: bool | None = None,
    field_validation: str | None = None,
) -> dict[str, str]:
    """``dryRun=All``, ``fieldManager``, ``force`` and ``fieldValidation`` of a write."""
    params: dict[str, str] = {}
    if dry_run:
        params["dryRun"] = "All"
    if field_manager:
        params["fieldManager"] = field_manager
    if force is not None:
        params["force"] = "true" if force else "false"
    if field_validation:
        params["fieldValidation"] = field_validation
    return params


def selector_params(label_selector: str, field_selector: str) -> dict[str, str]:
    """``labelSelector`` and ``fieldSelector``, omitted when empty."""
    params: dict[str, str] = {}
    if label_selector:
        params["labelSelector"] = label_selector
    if field_selector:
        params["fieldSelector"] = field_selector
    return params


def list_params(
    label_selector: str,
    field_selector: str,
    limit: int,
    continue_: str,
    resource_version: str | None,
    resource_version_match: str | None,
) -> dict[str, str]:
    """The query of a list: selectors, paging and the resourceVersion semantics."""
    params = selector_params(label_selector, field_selector)
    if limit:
        params["limit"] = str(limit)
    if continue_:
        params["continue"] = continue_
    if resource_version is not None:
        params["resourceVersion"] = resource_version
    if resource_version_match:
        params["resourceVersionMatch"] = resource_version_match
    return params


def watch_params(
    *,
    label_selector: str,
    field_selector: str,
    resource_version: str | None,
    allow_bookmarks: bool,
    send_initial_events: bool,
    timeout_seconds: float | None,
) -> dict[str, str]:
    """The query string of a watch, spelled as the apiserver parses it."""
    params = {"watch": "true"}
    if label_selector:
        params["labelSelector"] = label_selector
    if field_selector:
        params["fieldSelector"] = field_selector
    if resource_version is not None:
        params["resourceVersion"] = resource_version
    if allow_bookmarks:
        params["allowWatchBookmarks"] = "true"
    if send_initial_events:
        params["sendInitialEvents"] = "true"
        params["resourceVersionMatch"] = "NotOlderThan"
    if timeout_seconds is not None:
        params["timeoutSeconds"] = str(max(1, round(timeout_seconds)))
    return params


def delete_options(
    propagation_policy: PropagationPolicy | None,
    grace_period_seconds: int | None,
    preconditions: Preconditions | None,
    dry_run: bool,
) -> Object | None:
    """The ``DeleteOptions`` body for the options given, or None when all are defaults."""
    body: Object = {}
    if propagation_policy is not None:
        body["propagationPolicy"] = propagation_policy
    if grace_period_seconds is not None:
        body["gracePeriodSeconds"] = grace_period_seconds
    if preconditions is not None:
        pre = {}
        if preconditions.uid is not None:
            pre["uid"] = preconditions.uid
        if preconditions.resource_version is not None:
            pre["resourceVersion"] = preconditions.resource_version
        body["preconditions"] = pre
    if dry_run:
        body["dryRun"] = ["All"]
    if not body:
        return None
    return {"kind": "DeleteOptions", "apiVersion": "v1", **body}
