"""trailstore: an embedded, offline store for TestRail test cases.

A store is a folder holding TestRail's projects, suites, sections, cases and case fields. It
answers TestRail API v2 calls locally, applies TestRail's rules to every change and records each
change in a journal. The Python API mirrors the object layout of the ``testrail-api`` client, so
harness code written for it runs offline by swapping the constructor::

    import trailstore

    with trailstore.Store("cases.store") as store:
        store.import_snapshot("snapshot.json")
        case = store.cases.get_case(1)
        high = store.cases.get_cases_bulk(1, priority_id=[3, 4])
        with store.batch():
            store.cases.add_case(case["section_id"], "Pay with a saved card")
        hits = store.search(1, '"saved card" refund*', priority_id=[3, 4])

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
    Conflicts,
    Journal,
    Milestones,
    Priorities,
    Projects,
    Sections,
    Suites,
    Templates,
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

__all__ = [
    "Store",
    "Batch",
    "PAGE_MAX",
    "__version__",
    # Categories (the types of Store's attributes).
    "Cases",
    "CaseFields",
    "CaseTypes",
    "Conflicts",
    "Journal",
    "Milestones",
    "Priorities",
    "Projects",
    "Sections",
    "Suites",
    "Templates",
    "Users",
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
