"""``Store`` and ``Batch``: a local TestRail store with the object layout of ``testrail-api``."""

from __future__ import annotations

import os
import threading
import weakref
from datetime import datetime
from types import TracebackType
from typing import (
    AbstractSet,
    Any,
    Dict,
    Iterable,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Type,
    Union,
)

from . import _native
from ._categories import (
    Attachments,
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

__all__ = ["Store", "Batch"]

PathLike = Union[str, "os.PathLike[str]"]

#: One id or several (a list, tuple or set), as a filter takes them: ``3`` or ``[3, 4]``.
Ids = Union[int, Sequence[int], AbstractSet[int]]
#: A point in time: a ``datetime`` or UNIX seconds.
Time = Union[datetime, int]
#: Values of a Dropdown, Multi-select or Checkbox field: an item id, several, or a bool.
Choice = Union[int, bool, Sequence[int], AbstractSet[int]]


class _ThreadBatch(threading.local):
    """The batch each thread has open on a store, if any (a weak reference, so that a batch
    nobody holds any more is rolled back instead of being kept alive here)."""

    batch: Optional["weakref.ReferenceType[Batch]"] = None


class Batch:
    """Several calls in one write transaction that commits once.

    Made by :meth:`Store.batch`. While it is open, every call the same thread makes on the store
    (``store.cases.add_case(...)``, ``store.call(...)``) runs inside it and sees its earlier
    writes; other threads read the last committed state, and their writes wait for the batch to
    end. As a context manager it commits when the block ends normally and rolls back when the
    block raises (the exception still propagates)::

        with store.batch():
            for title in titles:
                store.cases.add_case(section_id, title)
    """

    __slots__ = ("_native", "_store", "_ended", "__weakref__")

    def __init__(self, store: "Store", native: _native.NativeBatch) -> None:
        self._store = store
        self._native = native
        self._ended = False

    def call(self, route: str, body: Optional[Mapping[str, Any]] = None) -> Any:
        """Calls a TestRail route inside the batch (see :meth:`Store.call`)."""
        return self._native.call(route, body)

    def import_snapshot(self, snapshot: Union[PathLike, Mapping[str, Any]]) -> Dict[str, Any]:
        """Imports a snapshot inside the batch (see :meth:`Store.import_snapshot`)."""
        if isinstance(snapshot, Mapping):
            return self._native.import_snapshot(snapshot)
        return self._native.import_snapshot_file(os.fspath(snapshot))

    def record(self, recording: Mapping[str, Any]) -> Dict[str, Any]:
        """Records a test report inside the batch (see :meth:`Store.record`)."""
        return self._native.record(recording)

    def commit(self) -> None:
        """Makes every call of the batch durable at once, and ends the batch."""
        try:
            self._native.commit()
        finally:
            self._end()

    def rollback(self) -> None:
        """Discards every call of the batch, and ends the batch."""
        try:
            self._native.rollback()
        finally:
            self._end()

    @property
    def is_open(self) -> bool:
        """Whether the batch still takes calls."""
        return not self._ended and self._native.is_open

    def _end(self) -> None:
        self._ended = True
        self._store._forget_batch(self)

    def __enter__(self) -> "Batch":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if self._ended:
            return
        if exc_type is None:
            self.commit()
            return
        try:
            self.rollback()
        except _native.Error:
            # The block's own exception is the one to report; a batch that cannot even roll
            # back is discarded with its transaction anyway.
            pass

    def __repr__(self) -> str:
        state = "open" if self.is_open else "ended"
        return f"<trailstore.Batch {state} on {self._store.path!r}>"


class Store:
    """A local TestRail store: TestRail's cases, sections, suites, projects and case fields in
    one folder, answering TestRail API v2 calls offline.

    The object layout is the ``testrail-api`` client's (``TestRailAPI``)::

        store = trailstore.Store("cases.store")          # was: TestRailAPI(url, email, key)
        case = store.cases.get_case(1)
        page = store.cases.get_cases(1, priority_id=[3, 4])

    Categories: :attr:`cases`, :attr:`sections`, :attr:`suites`, :attr:`projects`,
    :attr:`case_fields`, :attr:`case_types`, :attr:`priorities`, :attr:`templates`,
    :attr:`users`, :attr:`milestones`, :attr:`runs`, :attr:`tests`, :attr:`results`,
    :attr:`plans`, :attr:`statuses`, :attr:`result_fields`, :attr:`configurations`,
    :attr:`attachments`, and the store's own :attr:`journal` and :attr:`conflicts`. Beyond them: full-text :meth:`search`,
    and :meth:`pull` / :meth:`push` to sync with a TestRail server. Values are dicts and lists
    in TestRail's JSON shapes; failures raise subclasses of :class:`trailstore.Error`.

    One store can be used from many threads (the GIL is released while the store works). A
    process may open a store only once at a time, and only one process at a time may have it
    open (:class:`trailstore.StoreInUseError`). A store inherited across ``os.fork()`` raises
    :class:`trailstore.ForkedError`: open it again in the child. As a context manager the store
    closes when the block ends.
    """

    #: Test cases (``get_case``, ``get_cases``, ``add_case``, ...).
    cases: Cases
    #: Sections of a suite's case tree.
    sections: Sections
    #: Test suites.
    suites: Suites
    #: Projects.
    projects: Projects
    #: Custom case fields.
    case_fields: CaseFields
    #: Case types.
    case_types: CaseTypes
    #: Priorities.
    priorities: Priorities
    #: Case templates.
    templates: Templates
    #: Users.
    users: Users
    #: Milestones.
    milestones: Milestones
    #: Test runs.
    runs: Runs
    #: The tests of runs.
    tests: Tests
    #: Test results.
    results: Results
    #: Test plans, their entries and runs.
    plans: Plans
    #: Test statuses.
    statuses: Statuses
    #: Custom result fields.
    result_fields: ResultFields
    #: Configuration groups and configurations.
    configurations: Configurations
    #: Files attached to cases, results, runs, plans and plan entries.
    attachments: Attachments
    #: The change journal and case histories.
    journal: Journal
    #: Fields changed both here and on the server, and how to settle them.
    conflicts: Conflicts

    def __init__(self, path: PathLike) -> None:
        """Opens the store in folder ``path``, creating it (empty) if it does not exist."""
        self._native = _native.NativeStore(os.fspath(path))
        self._thread = _ThreadBatch()
        call, list_all = self._call_with, self._list_all
        self.cases = Cases(call, list_all)
        self.sections = Sections(call, list_all)
        self.suites = Suites(call, list_all)
        self.projects = Projects(call, list_all)
        self.case_fields = CaseFields(call, list_all)
        self.case_types = CaseTypes(call, list_all)
        self.priorities = Priorities(call, list_all)
        self.templates = Templates(call, list_all)
        self.users = Users(call, list_all)
        self.milestones = Milestones(call, list_all)
        self.runs = Runs(call, list_all)
        self.tests = Tests(call, list_all)
        self.results = Results(call, list_all)
        self.plans = Plans(call, list_all)
        self.statuses = Statuses(call, list_all)
        self.result_fields = ResultFields(call, list_all)
        self.configurations = Configurations(call, list_all)
        self.attachments = Attachments(call, list_all, self._target)
        self.journal = Journal(call, list_all)
        self.conflicts = Conflicts(call, list_all)

    def _batch_of_thread(self) -> Optional[Batch]:
        ref = self._thread.batch
        return None if ref is None else ref()

    def _target(self) -> Union[_native.NativeStore, _native.NativeBatch]:
        """Where this thread's calls run: its open batch, else the store."""
        batch = self._batch_of_thread()
        return self._native if batch is None else batch._native

    def _call_with(
        self,
        endpoint: str,
        params: Optional[Dict[str, Any]] = None,
        body: Optional[Mapping[str, Any]] = None,
    ) -> Any:
        return self._target().call_with(endpoint, params, body)

    def _list_all(self, endpoint: str, params: Optional[Dict[str, Any]] = None) -> List[Any]:
        return self._target().list_all(endpoint, params)

    def _forget_batch(self, batch: Batch) -> None:
        if self._batch_of_thread() is batch:
            self._thread.batch = None

    def call(self, route: str, body: Optional[Mapping[str, Any]] = None) -> Any:
        """Calls a TestRail API v2 route directly: the escape hatch under the categories.

        ``route`` is what follows ``index.php?/api/v2/`` in a TestRail URL
        (``"get_cases/1&suite_id=2&limit=10"``); ``body`` is the JSON body of a POST method as a
        dict. Returns TestRail's JSON as dicts and lists, or None for an empty answer (deletes).
        Inside a batch of this thread, the call runs in the batch.
        """
        return self._target().call(route, body)

    def batch(self) -> Batch:
        """Starts a batch of writes on this thread; use it as a context manager.

        Waits while another thread has a batch open. A second batch on the same thread raises
        :class:`trailstore.BusyError`.
        """
        batch = Batch(self, self._native.batch())
        self._thread.batch = weakref.ref(batch)
        return batch

    def import_snapshot(self, snapshot: Union[PathLike, Mapping[str, Any]]) -> Dict[str, Any]:
        """Imports a TestRail snapshot as the server's base state, in one transaction.

        ``snapshot`` is a dict of TestRail list bodies (``projects``, ``suites``, ``sections``,
        ``cases``, ``case_fields``, ...), or the path of a JSON file holding one (read and parsed
        without the GIL). Nothing is journaled. Returns the store's import report (how many
        records of each kind the snapshot held, as the CLI's ``trailstore import`` prints it); a
        bad snapshot raises and changes nothing.
        """
        batch = self._batch_of_thread()
        if batch is not None:
            return batch.import_snapshot(snapshot)
        if isinstance(snapshot, Mapping):
            return self._native.import_snapshot(snapshot)
        return self._native.import_snapshot_file(os.fspath(snapshot))

    def search(
        self,
        project_id: Optional[int],
        query: str = "",
        *,
        suite_id: Optional[int] = None,
        section_id: Optional[int] = None,
        priority_id: Optional[Ids] = None,
        type_id: Optional[Ids] = None,
        template_id: Optional[Ids] = None,
        milestone_id: Optional[Ids] = None,
        created_by: Optional[Ids] = None,
        updated_by: Optional[Ids] = None,
        created_after: Optional[Time] = None,
        created_before: Optional[Time] = None,
        updated_after: Optional[Time] = None,
        updated_before: Optional[Time] = None,
        custom: Optional[Mapping[str, Choice]] = None,
        limit: int = 50,
        offset: int = 0,
        count: bool = False,
        highlight: bool = True,
    ) -> Dict[str, Any]:
        """Full-text search over a project's cases, ranked by relevance (``x_search_cases``);
        ``project_id=None`` searches every project.

        ``query`` is in the store's query language: words (all must match), ``OR``, ``NOT`` or
        ``-word``, ``"a phrase"``, ``prefix*``, ``field:word`` (``title``, ``refs``, ``text``,
        ``steps``, ``options``) and parentheses; an empty query matches every case. It searches
        titles, refs, text custom fields, steps and the labels of Dropdown and Multi-select
        values. A query that does not parse raises :class:`trailstore.ValidationError` with
        ``field == "q"``.

        Filters run inside the search: ``suite_id``, ``section_id`` (with its subsections), the
        id lists ``priority_id``, ``type_id``, ``template_id``, ``milestone_id``, ``created_by``
        and ``updated_by`` (an id or a list of ids), the strict time bounds ``created_after``,
        ``created_before``, ``updated_after``, ``updated_before`` (``datetime`` or UNIX
        seconds), and ``custom``: Dropdown, Multi-select and Checkbox values by system name,
        ``{"custom_component": [2, 3], "custom_is_flaky": True}``.

        Returns one page, ``{"offset", "limit", "size", "_links", "results": [{"project_id",
        "score", "highlights", "case"}]}``, each case in ``get_case``'s shape; ``limit`` is at most 250.
        ``count=True`` adds ``total`` (every match); ``highlight=False`` leaves the snippets
        out. A search sees every write that returned before it.
        """
        params: Dict[str, Any] = {
            "q": query or None,
            "suite_id": suite_id,
            "section_id": section_id,
            "priority_id": priority_id,
            "type_id": type_id,
            "template_id": template_id,
            "milestone_id": milestone_id,
            "created_by": created_by,
            "updated_by": updated_by,
            "created_after": created_after,
            "created_before": created_before,
            "updated_after": updated_after,
            "updated_before": updated_before,
        }
        for name, values in (custom or {}).items():
            if not isinstance(name, str) or not name.startswith("custom_"):
                raise ValueError(
                    f"custom filters are keyed by the field's system name, "
                    f"such as 'custom_component' (got {name!r})"
                )
            params[name] = values
        params.update(limit=limit, offset=offset, count=bool(count), highlight=bool(highlight))
        endpoint = "x_search_cases" if project_id is None else f"x_search_cases/{project_id}"
        return self._call_with(endpoint, params)

    def pull(
        self,
        url: Optional[str] = None,
        user: Optional[str] = None,
        key: Optional[str] = None,
        *,
        projects: Optional[Union[int, Iterable[int]]] = None,
        scan: bool = True,
        results: bool = False,
        attachments: bool = False,
        config: Optional[PathLike] = None,
    ) -> Dict[str, Any]:
        """Brings a TestRail server's state into the store (``trailstore pull``).

        The first pull takes everything this user can see (or only ``projects``: an id or a
        list of ids); later pulls fetch the cases changed since, and with ``scan`` (the default)
        scan case ids to find deletions and moves. Pulled data is server state, not a local
        change: nothing is journaled. A case or section with unpushed local edits is merged
        field by field, and a field changed on both sides keeps your value and becomes a
        conflict (see :attr:`conflicts`). A store pulls from one server only.

        Statuses, result fields, configurations and the open plans and runs come with their
        tests, so that results can be added offline to a run made on the server; with
        ``results=True`` the open runs' results come too (later pulls: the new ones), and with
        ``attachments=True`` the files attached to the pulled cases (their bytes as well).

        Credentials: ``url``, ``user`` and ``key`` when given, else ``TESTRAIL_URL``,
        ``TESTRAIL_USER`` and ``TESTRAIL_KEY``, else the config file (``config``, or
        ``$XDG_CONFIG_HOME/trailstore/config.json`` / ``~/.config/trailstore/config.json``),
        which is used only when no one but its owner can read it. The key is sent to the server
        and nowhere else: not to the store, and not into any message or exception.

        Returns the report: ``{"first", "fetched", "new", "changed", "deleted", "conflicts",
        "runs", "tests", "results", "attachments", "requests"}``. A server that refuses the
        request or cannot be reached raises
        :class:`trailstore.RemoteError`; missing credentials raise
        :class:`trailstore.BadRequestError`. The GIL is released while it runs. Not allowed
        while this thread has a batch open (:class:`trailstore.BusyError`, before anything is
        fetched).
        """
        if projects is None:
            ids = None
        elif isinstance(projects, int):
            ids = [projects]
        else:
            ids = list(projects)
        return self._native.pull(
            url,
            user,
            key,
            projects=ids,
            scan=scan,
            results=results,
            attachments=attachments,
            config=None if config is None else os.fspath(config),
        )

    def push(
        self,
        url: Optional[str] = None,
        user: Optional[str] = None,
        key: Optional[str] = None,
        *,
        dry_run: bool = False,
        closed_run: Literal["hold", "new"] = "hold",
        config: Optional[PathLike] = None,
    ) -> Dict[str, Any]:
        """Sends the journal's pending changes to a TestRail server, exactly once
        (``trailstore push``).

        Entries go in journal order; edits of one case are sent as one update and an add then a
        delete sends nothing. A created entity's server id replaces the local id in the store,
        and the local id stays a valid alias (``get_case(local_id)`` answers the case with its
        server id). A field the server changed since your edit started from it is not
        overwritten: it becomes a conflict (see :attr:`conflicts`). A push that fails halfway
        can simply be run again. With ``dry_run=True`` nothing is sent and the report's
        ``dry_run`` lists the requests, as ``"POST route body"``.

        Results are sent exactly once, in batches; a result whose run was closed on the server
        meanwhile is held in the journal (``closed_run="hold"``, counted under ``held``) or
        goes to a new run named after the closed one (``closed_run="new"``).

        Credentials as for :meth:`pull`. Returns the report: ``{"sent", "created", "updated",
        "deleted", "rejected", "conflicts", "blocked", "held", "results", "entries_done",
        "adopted", "requests", "dry_run"}``. Raises :class:`trailstore.RemoteError` when the server refuses the login
        or cannot be reached (the journal stays intact). The GIL is released while it runs.
        Not allowed while this thread has a batch open (:class:`trailstore.BusyError`).
        """
        return self._native.push(
            url,
            user,
            key,
            dry_run=dry_run,
            closed_run=closed_run,
            config=None if config is None else os.fspath(config),
        )

    def record(self, recording: Mapping[str, Any]) -> Dict[str, Any]:
        """Records a test report as ``trailstore junit`` records a JUnit file, in one transaction.

        ``recording`` is a dict: ``project`` (name or id, required), ``suite``, ``run_id`` (an
        existing run) or ``plan_id`` (a new entry of a plan), ``name``, ``description``,
        ``milestone_id`` and ``refs`` of the run, ``close_run``, ``case_matcher`` (``"auto"``,
        ``"name"``, ``"property"``), ``section`` (of new cases whose test names none),
        ``case_fields`` and ``result_fields`` (dicts), ``statuses`` (``{"passed": 1, "skipped":
        4, "failure": 5, "error": 5}``), ``allow_ms``, ``properties`` and ``tests``: a list of
        ``{"name", "classname", "automation_id", "test_id", "case_ids", "section",
        "case_fields", "result_fields", "outcome", "type", "message", "text", "elapsed",
        "comments", "steps", "attachments"}`` (only ``name`` is required). Tests are matched to
        cases by their case ids, else by automation id (``classname.name``), and the cases
        missing are created, as trcli's ``parse_junit`` does; the run is added (or updated),
        the results added and their files attached; ``push`` later replays it on the server.

        Returns the report: ``{"project_id", "suite_id", "run_id", "plan_id", "run_created",
        "cases_matched", "cases_created", "sections_created", "results_added", "result_ids",
        "attachments_added", "attachments_failed", ...}``. Bad input raises and records nothing.
        Inside a batch of this thread, it runs in the batch.
        """
        return self._target().record(recording)

    def stats(self) -> Dict[str, Any]:
        """Counts of what the store holds, with its path and format, data and journal versions."""
        return self._native.stats()

    @property
    def user_id(self) -> int:
        """The user id local changes are recorded as (``created_by``, ``updated_by``)."""
        return self._native.user_id()

    def set_user_id(self, user_id: int) -> None:
        """Records later local changes as made by user ``user_id``."""
        self._native.set_user_id(user_id)

    @property
    def path(self) -> str:
        """The folder of the store."""
        return self._native.path

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._native.closed

    def close(self) -> None:
        """Closes the store; later calls raise :class:`trailstore.ClosedError`.

        The file is released once every open batch has ended. Closing twice is harmless.
        """
        self._native.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = " (closed)" if self.closed else ""
        return f"<trailstore.Store {self.path!r}{state}>"
