"""``Store`` and ``Batch``: a local TestRail store with the object layout of ``testrail-api``."""

from __future__ import annotations

import os
import threading
import weakref
from types import TracebackType
from typing import Any, Dict, Mapping, Optional, Type, Union

from . import _native
from ._categories import (
    CaseFields,
    Cases,
    CaseTypes,
    Journal,
    Milestones,
    Priorities,
    Projects,
    Sections,
    Suites,
    Templates,
    Users,
)

__all__ = ["Store", "Batch"]

PathLike = Union[str, "os.PathLike[str]"]


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
    :attr:`users`, :attr:`milestones`, and the store's own :attr:`journal`. Values are dicts and
    lists in TestRail's JSON shapes; failures raise subclasses of :class:`trailstore.Error`.

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
    #: The change journal and case histories.
    journal: Journal

    def __init__(self, path: PathLike) -> None:
        """Opens the store in folder ``path``, creating it (empty) if it does not exist."""
        self._native = _native.NativeStore(os.fspath(path))
        self._thread = _ThreadBatch()
        call = self._call
        self.cases = Cases(call)
        self.sections = Sections(call)
        self.suites = Suites(call)
        self.projects = Projects(call)
        self.case_fields = CaseFields(call)
        self.case_types = CaseTypes(call)
        self.priorities = Priorities(call)
        self.templates = Templates(call)
        self.users = Users(call)
        self.milestones = Milestones(call)
        self.journal = Journal(call)

    def _batch_of_thread(self) -> Optional[Batch]:
        ref = self._thread.batch
        return None if ref is None else ref()

    def _call(self, route: str, body: Optional[Mapping[str, Any]] = None) -> Any:
        ref = self._thread.batch
        if ref is not None:
            batch = ref()
            if batch is not None:
                return batch._native.call(route, body)
        return self._native.call(route, body)

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
        return self._call(route, body)

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
