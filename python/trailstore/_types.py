"""The shapes of TestRail's answers for runs, tests, results, plans, statuses, result fields,
configurations and milestones, as ``TypedDict``s.

They describe the dicts the store returns (plain dicts at run time) to a type checker. Keys every
answer of that kind carries are required; keys TestRail leaves out of some answers are not (a
plan run's ``entry_id``, a plan's ``entries`` in ``get_plans``). Custom fields (a test's case
fields, a result's ``custom_*`` result fields) are in the dicts too but are not declared, since
their names depend on the project: read them through ``typing.cast(Dict[str, Any], test)``.

A required key is split from the optional ones by inheritance (a ``total=True`` base, a
``total=False`` subclass), because ``typing.NotRequired`` needs Python 3.11.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, TypedDict

__all__ = [
    "Links",
    "Run",
    "RunsPage",
    "Test",
    "TestsPage",
    "Result",
    "ResultsPage",
    "Plan",
    "PlanEntry",
    "PlansPage",
    "Status",
    "ResultField",
    "ResultFieldConfig",
    "ConfigGroup",
    "Config",
    "Milestone",
    "MilestonesPage",
]


class Links(TypedDict):
    """A page's links: the routes of the next and previous pages, ``None`` at either end."""

    next: Optional[str]
    prev: Optional[str]


class _Counts(TypedDict):
    """How many tests have each status, as runs and plans count them (custom statuses by their
    slot, ``custom_status1`` … ``custom_status7``)."""

    passed_count: int
    blocked_count: int
    untested_count: int
    retest_count: int
    failed_count: int
    custom_status1_count: int
    custom_status2_count: int
    custom_status3_count: int
    custom_status4_count: int
    custom_status5_count: int
    custom_status6_count: int
    custom_status7_count: int


class _RunKeys(_Counts):
    id: int
    suite_id: int
    name: str
    description: Optional[str]
    milestone_id: Optional[int]
    assignedto_id: Optional[int]
    include_all: bool
    is_completed: bool
    completed_on: Optional[int]
    config: Optional[str]
    config_ids: List[int]
    project_id: int
    plan_id: Optional[int]
    created_on: int
    updated_on: Optional[int]
    refs: Optional[str]
    start_on: Optional[int]
    due_on: Optional[int]
    created_by: int
    url: str


class Run(_RunKeys, total=False):
    """A test run (``get_run``). A standalone run has ``plan_id`` ``None``, ``config`` ``None``
    and ``config_ids`` ``[]``; a run of a plan also has ``entry_id`` (the entry's GUID) and
    ``entry_index``, and ``config`` is its configuration names joined by ``", "``."""

    entry_id: str
    entry_index: int


class _TestKeys(TypedDict):
    id: int
    case_id: int
    status_id: int
    assignedto_id: Optional[int]
    run_id: int
    title: str


class Test(_TestKeys, total=False):
    """A test: one case in a run, with the status of its latest status-bearing result (3,
    Untested, before any). While the run is open it shows its case's current fields; the case's
    custom fields are keys too. A test whose case the store does not hold has only the keys of
    the base and an empty ``title``."""

    template_id: int
    type_id: int
    priority_id: int
    estimate: Optional[str]
    estimate_forecast: Optional[str]
    refs: Optional[str]
    milestone_id: Optional[int]
    labels: List[Dict[str, Any]]


class _ResultKeys(TypedDict):
    id: int
    test_id: int
    status_id: Optional[int]
    created_on: int
    created_by: int
    assignedto_id: Optional[int]
    comment: Optional[str]
    version: Optional[str]
    elapsed: Optional[str]
    defects: Optional[str]
    attachment_ids: List[int]


class Result(_ResultKeys, total=False):
    """A test result. ``status_id`` is ``None`` for a comment or an assignment only; the
    project's custom result fields are keys too (``None`` when unset)."""

    custom_step_results: Optional[List[Dict[str, Any]]]


class _PlanKeys(_Counts):
    id: int
    name: str
    description: Optional[str]
    milestone_id: Optional[int]
    assignedto_id: Optional[int]
    is_completed: bool
    completed_on: Optional[int]
    project_id: int
    created_on: int
    created_by: int
    updated_on: Optional[int]
    refs: Optional[str]
    start_on: Optional[int]
    due_on: Optional[int]
    url: str


class PlanEntry(TypedDict):
    """An entry of a plan: one suite, run once per configuration (or once, without any); ``id``
    is a GUID string."""

    id: str
    suite_id: int
    name: str
    refs: Optional[str]
    description: Optional[str]
    include_all: bool
    runs: List[Run]


class Plan(_PlanKeys, total=False):
    """A test plan (``get_plan``); its counts add up its runs'. ``entries`` is in ``get_plan``
    and the writes' answers, not in ``get_plans``."""

    entries: List[PlanEntry]


class _Page(TypedDict):
    offset: int
    limit: int
    size: int
    _links: Links


class RunsPage(_Page):
    """One page of ``get_runs``."""

    runs: List[Run]


class TestsPage(_Page):
    """One page of ``get_tests``."""

    tests: List[Test]


class ResultsPage(_Page):
    """One page of ``get_results``, ``get_results_for_case`` or ``get_results_for_run``, newest
    first."""

    results: List[Result]


class PlansPage(_Page):
    """One page of ``get_plans`` (plans without ``entries``)."""

    plans: List[Plan]


class Status(TypedDict):
    """A test status: the system ones (1 Passed, 2 Blocked, 3 Untested, 4 Retest, 5 Failed) and
    the custom ones (``custom_status1`` … ``custom_status7``); colours are RGB ints."""

    id: int
    name: str
    label: str
    color_dark: int
    color_medium: int
    color_bright: int
    is_system: bool
    is_untested: bool
    is_final: bool


class ResultFieldConfig(TypedDict):
    """Where a result field applies (``context``) and how (``options``: ``is_required``,
    ``default_value``, ``format``, ``items`` ...)."""

    id: str
    context: Dict[str, Any]
    options: Dict[str, Any]


class ResultField(TypedDict):
    """A custom result field (``get_result_fields``)."""

    id: int
    is_active: bool
    type_id: int
    name: str
    system_name: str
    label: str
    description: Optional[str]
    configs: List[ResultFieldConfig]
    display_order: int
    include_all: bool
    template_ids: List[int]


class Config(TypedDict):
    """A configuration of a group (``"Chrome"`` in ``"Browsers"``)."""

    id: int
    name: str
    group_id: int


class ConfigGroup(TypedDict):
    """A configuration group of a project, with its configurations."""

    id: int
    name: str
    project_id: int
    configs: List[Config]


class _MilestoneKeys(TypedDict):
    id: int
    name: str
    description: Optional[str]
    project_id: int
    start_on: Optional[int]
    started_on: Optional[int]
    is_started: bool
    due_on: Optional[int]
    is_completed: bool
    completed_on: Optional[int]
    parent_id: Optional[int]
    refs: Optional[str]
    url: str


class Milestone(_MilestoneKeys, total=False):
    """A milestone. ``milestones`` (its sub-milestones) is in ``get_milestone`` and the writes'
    answers."""

    milestones: List["Milestone"]


class MilestonesPage(_Page):
    """One page of ``get_milestones``."""

    milestones: List[Milestone]
