"""trailstore: an embedded, offline store for TestRail test cases.

A store is a folder holding TestRail's projects, suites, sections, cases and case fields, and the
runs, tests, results and plans recorded against them. It answers TestRail API v2 calls locally,
applies TestRail's rules to every change and records each change in a journal. The Python API
mirrors the object layout of the ``testrail-api`` client, so harness code written for it runs
offline by swapping the constructor::

    import trailstore

    with trailstore.Store("cases.store") as store:
        store.import_snapshot("snapshot.json")
        case = store.cases.get_case(1)
        high = store.cases.get_cases_bulk(1, priority_id=[3, 4])
        with store.batch():
            store.cases.add_case(case["section_id"], "Pay with a saved card")
        hits = store.search(1, '"saved card" refund*', priority_id=[3, 4])

        # Record what a harness ran: a run, then its results in one all-or-nothing call.
        run = store.runs.add_run(1, name="Nightly", include_all=False, case_ids=[1, 2])
        store.results.add_results_for_cases(
            run["id"], [{"case_id": 1, "status_id": 1}, {"case_id": 2, "status_id": 5}]
        )

        # Sync with a TestRail server (or TESTRAIL_URL / TESTRAIL_USER / TESTRAIL_KEY).
        store.pull(url, user, key)
        store.push(url, user, key)
        for conflict in store.conflicts.get_conflicts():
            store.conflicts.resolve(conflict["key"], keep="server")

Every failure raises a subclass of :class:`Error`, with TestRail's wording as its message.
"""

from ._categories import (
    CaseFields,
    Cases,
    CaseTypes,
    Configurations,
    Conflicts,
    Journal,
    Milestones,
    Plans,
    Priorities,
    Projects,
    ResultFields,
    Results,
    Runs,
    Sections,
    Statuses,
    Suites,
    Templates,
    Tests,
    Users,
)
from ._native import (
    PAGE_MAX,
    BadRequestError,
    BusyError,
    ClosedError,
    DamagedStoreError,
    Error,
    ForbiddenError,
    ForkedError,
    InternalError,
    NotFoundError,
    RemoteError,
    StoreInUseError,
    StoreIOError,
    UnknownMethodError,
    UnsupportedFormatError,
    ValidationError,
    __version__,
)
from ._store import Batch, Store
from ._types import (
    Config,
    ConfigGroup,
    Links,
    Milestone,
    MilestonesPage,
    Plan,
    PlanEntry,
    PlansPage,
    Result,
    ResultField,
    ResultFieldConfig,
    ResultsPage,
    Run,
    RunsPage,
    Status,
    Test,
    TestsPage,
)

__all__ = [
    "Store",
    "Batch",
    "PAGE_MAX",
    "__version__",
    # Categories (the types of Store's attributes).
    "Cases",
    "CaseFields",
    "CaseTypes",
    "Configurations",
    "Conflicts",
    "Journal",
    "Milestones",
    "Plans",
    "Priorities",
    "Projects",
    "ResultFields",
    "Results",
    "Runs",
    "Sections",
    "Statuses",
    "Suites",
    "Templates",
    "Tests",
    "Users",
    # Answers' shapes (TypedDicts of the dicts the categories return).
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
    "Links",
    # Exceptions.
    "Error",
    "ValidationError",
    "NotFoundError",
    "ForbiddenError",
    "UnknownMethodError",
    "BadRequestError",
    "StoreInUseError",
    "DamagedStoreError",
    "UnsupportedFormatError",
    "ForkedError",
    "StoreIOError",
    "ClosedError",
    "InternalError",
    "BusyError",
    "RemoteError",
]
