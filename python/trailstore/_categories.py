"""The API categories of a store, laid out as the ``testrail-api`` client lays them out.

``store.cases.get_case(1)`` here is ``api.cases.get_case(1)`` there: the same method names,
arguments and return shapes, so harness code written for that client runs against a local store by
swapping the constructor. Each method only names the TestRail endpoint, its query parameters and
its body; the store applies TestRail's rules.

Query parameters and bodies are converted by the native module as that client converts them (a
``datetime`` to its UNIX time rounded to an int, an ``Enum`` to its value, a set to its items in
order) and encoded by the core: ``True``/``False`` as ``1``/``0``, a list as ``"1,2,3"``, ``None``
left out. The ``*_bulk`` methods get every page from the core, read on one snapshot.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from ._types import (
    Config,
    ConfigGroup,
    Milestone,
    MilestonesPage,
    Plan,
    PlanEntry,
    PlansPage,
    Result,
    ResultField,
    ResultsPage,
    Run,
    RunsPage,
    Status,
    Test,
    TestsPage,
)

__all__ = [
    "JSONDict",
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
]

#: A TestRail entity or page, as the JSON object TestRail answers with.
JSONDict = Dict[str, Any]

#: ``call(endpoint, params=None, body=None)``: how a category calls the store (in the thread's
#: batch, if any).
Caller = Callable[..., Any]
#: ``list_all(endpoint, params=None)``: every item of a list endpoint, across all its pages.
Lister = Callable[..., List[Any]]


def _unpaged(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """The filters of a ``*_bulk`` method, which pages for itself (testrail-api's rule)."""
    if "limit" in kwargs or "offset" in kwargs:
        raise TypeError(
            "limit and offset are managed automatically by *_bulk methods, "
            "use the regular method instead"
        )
    return kwargs


class _Category:
    """One group of API methods bound to a store."""

    __slots__ = ("_call", "_all")

    def __init__(self, call: Caller, list_all: Lister) -> None:
        self._call = call
        self._all = list_all


class Cases(_Category):
    """Test cases: ``get_case``, ``get_cases``, ``add_case``, ``update_case`` and the rest."""

    __slots__ = ()

    def get_case(self, case_id: int) -> JSONDict:
        """Returns the case ``case_id`` (``get_case/{case_id}``)."""
        return self._call(f"get_case/{case_id}")

    def get_cases(self, project_id: int, **kwargs: Any) -> JSONDict:
        """Returns one page of a project's cases (``get_cases/{project_id}``).

        Filters as TestRail takes them: ``suite_id`` (required in a multi-suite project),
        ``section_id``, ``created_after``/``created_before``/``updated_after``/``updated_before``
        (``datetime`` or UNIX time), ``created_by``, ``updated_by``, ``milestone_id``,
        ``priority_id``, ``template_id``, ``type_id``, ``label_id`` (an id or a list of ids),
        ``refs``, ``filter`` (text in the title), ``limit`` (at most 250) and ``offset``. The page
        is ``{"offset", "limit", "size", "_links", "cases": [...]}``.
        """
        return self._call(f"get_cases/{project_id}", kwargs)

    def get_cases_bulk(self, project_id: int, **kwargs: Any) -> List[JSONDict]:
        """Returns every case matching the filters of :meth:`get_cases`, across all pages."""
        return self._all(f"get_cases/{project_id}", _unpaged(kwargs))

    def get_history_for_case(self, case_id: int, limit: int = 250, offset: int = 0) -> JSONDict:
        """Returns one page of a case's change history, newest first, under ``history``."""
        return self._call(f"get_history_for_case/{case_id}", {"limit": limit, "offset": offset})

    def add_case(self, section_id: int, title: str, **kwargs: Any) -> JSONDict:
        """Adds a case to section ``section_id`` and returns it.

        ``kwargs`` are the case's fields in TestRail's names: ``type_id``, ``priority_id``,
        ``estimate``, ``milestone_id``, ``refs``, ``template_id`` and ``custom_*`` fields.
        """
        return self._call(f"add_case/{section_id}", body=dict(title=title, **kwargs))

    def update_case(self, case_id: int, **kwargs: Any) -> JSONDict:
        """Changes the given fields of case ``case_id`` and returns the case (``section_id``
        moves it)."""
        return self._call(f"update_case/{case_id}", body=kwargs)

    def update_cases(self, case_ids: Sequence[int], suite_id: Optional[int], **kwargs: Any) -> JSONDict:
        """Changes the given fields of several cases at once; returns ``{"updated": [...]}``.

        ``suite_id`` is required in a multi-suite project; ``None`` sends none.
        """
        body = dict(kwargs)
        body["case_ids"] = list(case_ids)
        endpoint = "update_cases" if suite_id is None else f"update_cases/{suite_id}"
        return self._call(endpoint, body=body)

    def delete_case(self, case_id: int, soft: int = 0) -> Optional[JSONDict]:
        """Deletes case ``case_id``; returns None. With ``soft=1`` nothing is deleted and the
        counts of what would be are returned."""
        return self._call(f"delete_case/{case_id}", {"soft": soft})

    def delete_cases(
        self,
        project_id: int,
        case_ids: Sequence[int],
        suite_id: Optional[int] = None,
        soft: int = 0,
    ) -> Optional[JSONDict]:
        """Deletes several cases of project ``project_id``; ``soft=1`` only counts them."""
        endpoint = f"delete_cases/{suite_id}" if suite_id else "delete_cases"
        return self._call(
            endpoint, {"soft": soft, "project_id": project_id}, {"case_ids": list(case_ids)}
        )

    def copy_cases_to_section(self, section_id: int, case_ids: Sequence[int]) -> List[JSONDict]:
        """Copies cases into section ``section_id``; returns the new cases."""
        return self._call(
            f"copy_cases_to_section/{section_id}", body={"case_ids": ",".join(map(str, case_ids))}
        )

    def move_cases_to_section(
        self, section_id: int, suite_id: int, case_ids: Sequence[int]
    ) -> None:
        """Moves cases into section ``section_id`` of suite ``suite_id`` (same project)."""
        return self._call(
            f"move_cases_to_section/{section_id}",
            body={"case_ids": ",".join(map(str, case_ids)), "suite_id": suite_id},
        )


class Sections(_Category):
    """Sections: the folders of a suite's case tree."""

    __slots__ = ()

    def get_section(self, section_id: int) -> JSONDict:
        """Returns section ``section_id``."""
        return self._call(f"get_section/{section_id}")

    def get_sections(
        self, project_id: int, limit: int = 250, offset: int = 0, **kwargs: Any
    ) -> JSONDict:
        """Returns one page of a suite's sections in tree order, under ``sections``
        (``suite_id`` is required in a multi-suite project)."""
        return self._call(f"get_sections/{project_id}", dict(limit=limit, offset=offset, **kwargs))

    def get_sections_bulk(self, project_id: int, **kwargs: Any) -> List[JSONDict]:
        """Returns every section of :meth:`get_sections`, across all pages."""
        return self._all(f"get_sections/{project_id}", _unpaged(kwargs))

    def add_section(self, project_id: int, name: str, **kwargs: Any) -> JSONDict:
        """Adds a section (``description``, ``suite_id``, ``parent_id`` in ``kwargs``)."""
        return self._call(f"add_section/{project_id}", body=dict(name=name, **kwargs))

    def update_section(self, section_id: int, **kwargs: Any) -> JSONDict:
        """Changes a section's ``name`` or ``description``."""
        return self._call(f"update_section/{section_id}", body=kwargs)

    def move_section(
        self, section_id: int, parent_id: int = 0, after_id: Optional[int] = None
    ) -> JSONDict:
        """Moves a section under ``parent_id`` (0: the root), after sibling ``after_id`` (None:
        first)."""
        return self._call(
            f"move_section/{section_id}", body={"parent_id": parent_id, "after_id": after_id}
        )

    def delete_section(self, section_id: int, soft: int = 0) -> Optional[JSONDict]:
        """Deletes a section with its subsections and cases; ``soft=1`` only counts them."""
        return self._call(f"delete_section/{section_id}", {"soft": soft})


class Projects(_Category):
    """Projects."""

    __slots__ = ()

    def get_project(self, project_id: int) -> JSONDict:
        """Returns project ``project_id``."""
        return self._call(f"get_project/{project_id}")

    def get_projects(self, limit: int = 250, offset: int = 0, **kwargs: Any) -> JSONDict:
        """Returns one page of projects under ``projects`` (filter: ``is_completed``)."""
        return self._call("get_projects", dict(limit=limit, offset=offset, **kwargs))

    def add_project(self, name: str, **kwargs: Any) -> JSONDict:
        """Adds a project (``announcement``, ``show_announcement``, ``suite_mode``)."""
        return self._call("add_project", body=dict(name=name, **kwargs))

    def update_project(self, project_id: int, **kwargs: Any) -> JSONDict:
        """Changes a project's fields (``is_completed`` among them)."""
        return self._call(f"update_project/{project_id}", body=kwargs)

    def delete_project(self, project_id: int) -> None:
        """Deletes a project with everything in it."""
        return self._call(f"delete_project/{project_id}")


class Suites(_Category):
    """Test suites."""

    __slots__ = ()

    def get_suite(self, suite_id: int) -> JSONDict:
        """Returns suite ``suite_id``."""
        return self._call(f"get_suite/{suite_id}")

    def get_suites(
        self, project_id: int, offset: Optional[int] = None, limit: Optional[int] = None
    ) -> JSONDict:
        """Returns a project's suites, paged under ``suites``."""
        return self._call(f"get_suites/{project_id}", {"offset": offset, "limit": limit})

    def get_suites_bulk(self, project_id: int, **kwargs: Any) -> List[JSONDict]:
        """Returns every suite of a project, across all pages."""
        return self._all(f"get_suites/{project_id}", _unpaged(kwargs))

    def add_suite(self, project_id: int, name: str, **kwargs: Any) -> JSONDict:
        """Adds a suite to a multi-suite project (``description`` in ``kwargs``)."""
        return self._call(f"add_suite/{project_id}", body=dict(name=name, **kwargs))

    def update_suite(self, suite_id: int, **kwargs: Any) -> JSONDict:
        """Changes a suite's ``name`` or ``description``."""
        return self._call(f"update_suite/{suite_id}", body=kwargs)

    def delete_suite(self, suite_id: int, soft: int = 0) -> Optional[JSONDict]:
        """Deletes a suite with its sections and cases; ``soft=1`` only counts them."""
        return self._call(f"delete_suite/{suite_id}", {"soft": soft})


class CaseFields(_Category):
    """Custom case fields."""

    __slots__ = ()

    def get_case_fields(self) -> List[JSONDict]:
        """Returns every case field with its configs."""
        return self._call("get_case_fields")

    def add_case_field(
        self, type: str, name: str, label: str, configs: List[JSONDict], **kwargs: Any
    ) -> JSONDict:
        """Adds a custom case field (``type`` as TestRail names it: ``"String"``,
        ``"Dropdown"``...); ``description``, ``include_all``, ``template_ids`` in ``kwargs``."""
        return self._call(
            "add_case_field", body=dict(type=type, name=name, label=label, configs=configs, **kwargs)
        )


class CaseTypes(_Category):
    """Case types."""

    __slots__ = ()

    def get_case_types(self) -> List[JSONDict]:
        """Returns every case type."""
        return self._call("get_case_types")


class Priorities(_Category):
    """Priorities."""

    __slots__ = ()

    def get_priorities(self) -> List[JSONDict]:
        """Returns every priority."""
        return self._call("get_priorities")


class Templates(_Category):
    """Case templates (field layouts)."""

    __slots__ = ()

    def get_templates(self, project_id: int) -> List[JSONDict]:
        """Returns the templates enabled for a project."""
        return self._call(f"get_templates/{project_id}")


class Users(_Category):
    """Users (read-only)."""

    __slots__ = ()

    def get_user(self, user_id: int) -> JSONDict:
        """Returns user ``user_id``."""
        return self._call(f"get_user/{user_id}")

    def get_current_user(self, user_id: Optional[int] = None) -> JSONDict:
        """Returns the user local changes are recorded as.

        ``user_id`` is accepted for compatibility with ``testrail-api`` and ignored: a store has
        one current user (see ``Store.set_user_id``).
        """
        return self._call("get_current_user")

    def get_user_by_email(self, email: str) -> JSONDict:
        """Returns the user with this email address (case-insensitive)."""
        return self._call("get_user_by_email", {"email": email})

    def get_users(
        self,
        project_id: Optional[int] = None,
        offset: Optional[int] = None,
        limit: Optional[int] = None,
    ) -> Any:
        """Returns the users: a list, or a page under ``users`` when ``offset`` or ``limit`` is
        given."""
        endpoint = f"get_users/{project_id}" if project_id else "get_users"
        return self._call(endpoint, {"offset": offset, "limit": limit})

    def get_users_bulk(self, project_id: Optional[int] = None, **kwargs: Any) -> List[JSONDict]:
        """Returns every user, across all pages."""
        endpoint = f"get_users/{project_id}" if project_id else "get_users"
        return self._all(endpoint, _unpaged(kwargs))


class Milestones(_Category):
    """Milestones, with one level of sub-milestones."""

    __slots__ = ()

    def get_milestone(self, milestone_id: int) -> Milestone:
        """Returns milestone ``milestone_id`` with its sub-milestones under ``milestones``."""
        return self._call(f"get_milestone/{milestone_id}")

    def get_milestones(
        self, project_id: int, limit: int = 250, offset: int = 0, **kwargs: Any
    ) -> MilestonesPage:
        """Returns one page of a project's milestones (filters: ``is_completed``,
        ``is_started``)."""
        return self._call(
            f"get_milestones/{project_id}", dict(limit=limit, offset=offset, **kwargs)
        )

    def add_milestone(self, project_id: int, name: str, **kwargs: Any) -> Milestone:
        """Adds a milestone to project ``project_id`` and returns it.

        ``kwargs``: ``description``, ``due_on`` and ``start_on`` (``datetime`` or UNIX time),
        ``parent_id`` (a top-level milestone: the new one becomes its sub-milestone) and
        ``refs``.
        """
        return self._call(f"add_milestone/{project_id}", body=dict(name=name, **kwargs))

    def update_milestone(self, milestone_id: int, **kwargs: Any) -> Milestone:
        """Changes the given fields of milestone ``milestone_id`` and returns it: those of
        :meth:`add_milestone`, ``is_started`` and ``is_completed``."""
        return self._call(f"update_milestone/{milestone_id}", body=kwargs)

    def delete_milestone(self, milestone_id: int) -> None:
        """Deletes milestone ``milestone_id`` (with its sub-milestones); runs, plans and cases
        linked to it stay, unlinked."""
        return self._call(f"delete_milestone/{milestone_id}")

    def get_milestones_bulk(self, project_id: int, **kwargs: Any) -> List[Milestone]:
        """Returns every milestone of a project, across all pages."""
        return self._all(f"get_milestones/{project_id}", _unpaged(kwargs))


class Runs(_Category):
    """Test runs: one test per selected case of a suite."""

    __slots__ = ()

    def get_run(self, run_id: int) -> Run:
        """Returns run ``run_id`` (see :meth:`Tests.get_tests` for its tests)."""
        return self._call(f"get_run/{run_id}")

    def get_runs(self, project_id: int, **kwargs: Any) -> RunsPage:
        """Returns one page of a project's runs, newest first, under ``runs``.

        Only runs that are not part of a plan, unless ``include_plan_runs=True``. Filters:
        ``created_after``/``created_before`` (``datetime`` or UNIX time), ``created_by``,
        ``is_completed``, ``milestone_id``, ``suite_id`` (an id or a list of ids),
        ``refs_filter`` (one reference), ``limit`` (at most 250) and ``offset``.
        """
        return self._call(f"get_runs/{project_id}", kwargs)

    def add_run(self, project_id: int, **kwargs: Any) -> Run:
        """Adds a run to project ``project_id`` and returns it.

        ``kwargs``: ``suite_id`` (required in a multi-suite project), ``name``, ``description``,
        ``milestone_id``, ``assignedto_id``, ``include_all`` (default ``True``: every case of
        the suite, and cases added to it later while the run is open), ``case_ids`` (the
        selection when ``include_all=False``), ``refs``, ``start_on`` and ``due_on``
        (``datetime`` or UNIX time).
        """
        return self._call(f"add_run/{project_id}", body=kwargs)

    def update_run(self, run_id: int, **kwargs: Any) -> Run:
        """Changes the given fields of open run ``run_id`` and returns it (those of
        :meth:`add_run` but ``suite_id``); ``include_all=False`` with ``case_ids`` replaces its
        tests."""
        return self._call(f"update_run/{run_id}", body=kwargs)

    def close_run(self, run_id: int) -> Run:
        """Closes run ``run_id`` and returns it. Cannot be undone: its tests keep their cases'
        fields as they are now, and results and edits are refused."""
        return self._call(f"close_run/{run_id}")

    def delete_run(self, run_id: int, soft: int = 0) -> Optional[JSONDict]:
        """Deletes run ``run_id`` with its tests and results; returns None. With ``soft=1``
        nothing is deleted and the counts of what would be are returned."""
        return self._call(f"delete_run/{run_id}", {"soft": soft})

    def get_runs_bulk(self, project_id: int, **kwargs: Any) -> List[Run]:
        """Returns every run matching the filters of :meth:`get_runs`, across all pages."""
        return self._all(f"get_runs/{project_id}", _unpaged(kwargs))


class Tests(_Category):
    """Tests: the cases of a run, each with its current status."""

    __slots__ = ()

    def get_test(self, test_id: int, **kwargs: Any) -> Test:
        """Returns test ``test_id``.

        With ``with_data=1`` the answer is ``{"test", "results", "attachments"}`` instead (the
        test, its results newest first, and their attachments), as trcli reads it.
        """
        return self._call(f"get_test/{test_id}", kwargs)

    def get_tests(
        self, run_id: int, limit: int = 250, offset: int = 0, **kwargs: Any
    ) -> TestsPage:
        """Returns one page of run ``run_id``'s tests under ``tests`` (filters: ``status_id``,
        ``label_id``, an id or a list of ids)."""
        return self._call(f"get_tests/{run_id}", dict(limit=limit, offset=offset, **kwargs))

    def get_tests_bulk(self, run_id: int, **kwargs: Any) -> List[Test]:
        """Returns every test of :meth:`get_tests`, across all pages."""
        return self._all(f"get_tests/{run_id}", _unpaged(kwargs))


class Results(_Category):
    """Test results: statuses, comments and assignments added to tests."""

    __slots__ = ()

    def get_results(
        self, test_id: int, limit: int = 250, offset: int = 0, **kwargs: Any
    ) -> ResultsPage:
        """Returns one page of test ``test_id``'s results, newest first, under ``results``
        (filters: ``defects_filter``, one defect; ``status_id``, an id or a list of ids)."""
        return self._call(f"get_results/{test_id}", dict(limit=limit, offset=offset, **kwargs))

    def get_results_for_case(
        self, run_id: int, case_id: int, limit: int = 250, offset: int = 0, **kwargs: Any
    ) -> ResultsPage:
        """Returns one page of the results of case ``case_id``'s test in run ``run_id``, newest
        first (filters as :meth:`get_results`)."""
        return self._call(
            f"get_results_for_case/{run_id}/{case_id}", dict(limit=limit, offset=offset, **kwargs)
        )

    def get_results_for_run(
        self, run_id: int, limit: int = 250, offset: int = 0, **kwargs: Any
    ) -> ResultsPage:
        """Returns one page of run ``run_id``'s results, newest first.

        Filters: ``created_after``/``created_before`` (``datetime`` or UNIX time),
        ``created_by`` and ``status_id`` (an id or a list of ids), ``defects_filter``.
        """
        return self._call(
            f"get_results_for_run/{run_id}", dict(limit=limit, offset=offset, **kwargs)
        )

    def add_result(self, test_id: int, **kwargs: Any) -> Result:
        """Adds a result, a comment or an assignment to test ``test_id`` and returns it.

        ``kwargs``: ``status_id`` (1 Passed, 2 Blocked, 4 Retest, 5 Failed or a custom status;
        3, Untested, is refused), ``comment``, ``version``, ``elapsed`` (``"30s"``,
        ``"1m 45s"``), ``defects`` (comma-separated), ``assignedto_id`` and ``custom_*`` result
        fields. One of ``status_id``, ``comment`` and ``assignedto_id`` is required.
        """
        return self._call(f"add_result/{test_id}", body=kwargs)

    def add_result_for_case(self, run_id: int, case_id: int, **kwargs: Any) -> Result:
        """Adds a result to the test of case ``case_id`` in run ``run_id`` (fields as
        :meth:`add_result`) and returns it."""
        return self._call(f"add_result_for_case/{run_id}/{case_id}", body=kwargs)

    def add_results(self, run_id: int, results: Sequence[Mapping[str, Any]]) -> List[Result]:
        """Adds several results to run ``run_id``'s tests, each naming its ``test_id``.

        Every entry is checked before anything is written, and one bad entry refuses them all.
        Returns the new results in the order of ``results``; a test named twice takes the
        status of its later entry.
        """
        return self._call(f"add_results/{run_id}", body={"results": list(results)})

    def add_results_for_cases(
        self, run_id: int, results: Sequence[Mapping[str, Any]]
    ) -> List[Result]:
        """Adds several results to run ``run_id``, each naming its case by ``case_id``; all or
        nothing, answered in request order, as :meth:`add_results`."""
        return self._call(f"add_results_for_cases/{run_id}", body={"results": list(results)})

    def edit_result(self, result_id: int, **kwargs: Any) -> Result:
        """Changes the given fields of result ``result_id`` and returns it (fields as
        :meth:`add_result`; ``custom_step_results`` replaces the whole list)."""
        return self._call(f"edit_result/{result_id}", body=kwargs)

    def get_results_bulk(self, test_id: int, **kwargs: Any) -> List[Result]:
        """Returns every result of :meth:`get_results`, across all pages."""
        return self._all(f"get_results/{test_id}", _unpaged(kwargs))

    def get_results_for_case_bulk(self, run_id: int, case_id: int, **kwargs: Any) -> List[Result]:
        """Returns every result of :meth:`get_results_for_case`, across all pages."""
        return self._all(f"get_results_for_case/{run_id}/{case_id}", _unpaged(kwargs))

    def get_results_for_run_bulk(self, run_id: int, **kwargs: Any) -> List[Result]:
        """Returns every result of :meth:`get_results_for_run`, across all pages."""
        return self._all(f"get_results_for_run/{run_id}", _unpaged(kwargs))


class Plans(_Category):
    """Test plans: entries (one suite each, ids as GUID strings), each run once per
    configuration."""

    __slots__ = ()

    def get_plan(self, plan_id: int) -> Plan:
        """Returns plan ``plan_id`` with its entries and their runs."""
        return self._call(f"get_plan/{plan_id}")

    def get_plans(self, project_id: int, **kwargs: Any) -> PlansPage:
        """Returns one page of a project's plans, newest first, without their entries.

        Filters: ``created_after``/``created_before`` (``datetime`` or UNIX time),
        ``created_by``, ``is_completed``, ``milestone_id``, ``limit`` and ``offset``.
        """
        return self._call(f"get_plans/{project_id}", kwargs)

    def add_plan(self, project_id: int, name: str, **kwargs: Any) -> Plan:
        """Adds a plan to project ``project_id`` and returns it.

        ``kwargs``: ``description``, ``milestone_id``, ``start_on``, ``due_on`` and
        ``entries``, a list of entries as :meth:`add_plan_entry` takes them.
        """
        return self._call(f"add_plan/{project_id}", body=dict(name=name, **kwargs))

    def add_plan_entry(self, plan_id: int, suite_id: int, **kwargs: Any) -> PlanEntry:
        """Adds an entry for suite ``suite_id`` to plan ``plan_id`` and returns the entry.

        ``kwargs``: ``name``, ``description``, ``assignedto_id``, ``start_on``, ``due_on``,
        ``include_all`` (default ``True``), ``case_ids``, ``refs``, ``config_ids`` (every
        configuration the runs use) and ``runs``: one run per combination, each with its own
        ``config_ids`` (one configuration per group), ``include_all``, ``case_ids`` and
        ``assignedto_id``.
        """
        return self._call(f"add_plan_entry/{plan_id}", body=dict(suite_id=suite_id, **kwargs))

    def add_run_to_plan_entry(
        self, plan_id: int, entry_id: str, config_ids: Sequence[int], **kwargs: Any
    ) -> Plan:
        """Adds a run with configurations ``config_ids`` to entry ``entry_id`` of plan
        ``plan_id``; returns the plan. ``kwargs``: ``description``, ``assignedto_id``,
        ``start_on``, ``due_on``, ``include_all``, ``case_ids``, ``refs``."""
        return self._call(
            f"add_run_to_plan_entry/{plan_id}/{entry_id}",
            body=dict(config_ids=list(config_ids), **kwargs),
        )

    def update_plan(self, plan_id: int, **kwargs: Any) -> Plan:
        """Changes the given fields of plan ``plan_id`` (``name``, ``description``,
        ``milestone_id``, ``start_on``, ``due_on``) and returns it."""
        return self._call(f"update_plan/{plan_id}", body=kwargs)

    def update_plan_entry(self, plan_id: int, entry_id: str, **kwargs: Any) -> PlanEntry:
        """Changes the given fields of every run of entry ``entry_id`` (``name``,
        ``description``, ``assignedto_id``, ``start_on``, ``due_on``, ``include_all``,
        ``case_ids``, ``refs``) and returns the entry."""
        return self._call(f"update_plan_entry/{plan_id}/{entry_id}", body=kwargs)

    def update_run_in_plan_entry(self, run_id: int, **kwargs: Any) -> Plan:
        """Changes the given fields of run ``run_id`` of an entry with configurations
        (``description``, ``assignedto_id``, ``start_on``, ``due_on``, ``include_all``,
        ``case_ids``, ``refs``); returns the plan."""
        return self._call(f"update_run_in_plan_entry/{run_id}", body=kwargs)

    def close_plan(self, plan_id: int) -> Plan:
        """Closes plan ``plan_id`` and every run in it; returns the plan. Cannot be undone."""
        return self._call(f"close_plan/{plan_id}")

    def delete_plan(self, plan_id: int) -> None:
        """Deletes plan ``plan_id`` with its runs, tests and results."""
        return self._call(f"delete_plan/{plan_id}")

    def delete_plan_entry(self, plan_id: int, entry_id: str) -> None:
        """Deletes entry ``entry_id`` of plan ``plan_id`` with its runs."""
        return self._call(f"delete_plan_entry/{plan_id}/{entry_id}")

    def delete_run_from_plan_entry(self, run_id: int) -> None:
        """Deletes run ``run_id`` from its entry (an entry with configurations)."""
        return self._call(f"delete_run_from_plan_entry/{run_id}")

    def get_plans_bulk(self, project_id: int, **kwargs: Any) -> List[Plan]:
        """Returns every plan matching the filters of :meth:`get_plans`, across all pages."""
        return self._all(f"get_plans/{project_id}", _unpaged(kwargs))


class Statuses(_Category):
    """Test statuses."""

    __slots__ = ()

    def get_statuses(self) -> List[Status]:
        """Returns every test status: the system ones and the custom ones."""
        return self._call("get_statuses")


class ResultFields(_Category):
    """Custom result fields."""

    __slots__ = ()

    def get_result_fields(self) -> List[ResultField]:
        """Returns every custom result field with its configs."""
        return self._call("get_result_fields")


class Configurations(_Category):
    """Configuration groups (``"Browsers"``) and their configurations (``"Chrome"``), which plan
    runs combine."""

    __slots__ = ()

    def get_configs(self, project_id: int) -> List[ConfigGroup]:
        """Returns a project's configuration groups, each with its configurations."""
        return self._call(f"get_configs/{project_id}")

    def add_config_group(self, project_id: int, name: str) -> ConfigGroup:
        """Adds a configuration group to project ``project_id`` and returns it."""
        return self._call(f"add_config_group/{project_id}", body={"name": name})

    def add_config(self, config_group_id: int, name: str) -> Config:
        """Adds a configuration to group ``config_group_id`` and returns it."""
        return self._call(f"add_config/{config_group_id}", body={"name": name})

    def update_config_group(self, config_group_id: int, name: str) -> ConfigGroup:
        """Renames configuration group ``config_group_id`` and returns it."""
        return self._call(f"update_config_group/{config_group_id}", body={"name": name})

    def update_config(self, config_id: int, name: str) -> Config:
        """Renames configuration ``config_id`` and returns it."""
        return self._call(f"update_config/{config_id}", body={"name": name})

    def delete_config_group(self, config_group_id: int) -> None:
        """Deletes configuration group ``config_group_id`` with its configurations."""
        return self._call(f"delete_config_group/{config_group_id}")

    def delete_config(self, config_id: int) -> None:
        """Deletes configuration ``config_id``."""
        return self._call(f"delete_config/{config_id}")


class Journal(_Category):
    """The change journal: every local change, in order, with its route, body and effects.

    Not part of TestRail's API (``x_get_journal``). Entries carry ``seq``, ``op_id``, ``route``,
    ``body``, ``time``, ``user_id``, ``push`` (``{"state": "pending", ...}``) and ``effects``
    (what changed, entity by entity, with old and new values).
    """

    __slots__ = ()

    def get_journal(
        self,
        since: int = 0,
        state: Optional[str] = None,
        limit: int = 250,
        offset: int = 0,
    ) -> JSONDict:
        """Returns one page of entries after sequence number ``since``, oldest first, under
        ``journal``; ``state`` keeps entries in that push state (``"pending"``, ``"done"``...)."""
        params = {"since": since, "state": state, "limit": limit, "offset": offset}
        return self._call("x_get_journal", params)

    def entries(self, since: int = 0, state: Optional[str] = None) -> List[JSONDict]:
        """Returns every entry after ``since`` (in push state ``state``, if given), oldest first."""
        return self._all("x_get_journal", {"since": since, "state": state})

    def pending(self, since: int = 0) -> List[JSONDict]:
        """Returns the entries not yet pushed to a server, oldest first."""
        return self.entries(since=since, state="pending")

    def history(self, case_id: int) -> List[JSONDict]:
        """Returns a case's whole change history, newest first (every page of
        ``get_history_for_case``)."""
        return self._all(f"get_history_for_case/{case_id}")


class _Unset:
    """The default of :meth:`Conflicts.resolve`'s ``value``: no new value given (``None`` is a
    value: it empties the field)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Any = _Unset()


class Conflicts(_Category):
    """Fields changed both locally and on the server to different values, and how to settle them.

    Pull records a conflict when it merges a server change into a case or section with unpushed
    local edits of the same field; push records one before it would overwrite a field the server
    changed since the local edit started from it. A conflict keeps the local value in the store
    and holds its journal entries back from push until it is resolved. Not part of TestRail's API
    (``x_get_conflicts``, ``x_resolve_conflict``).
    """

    __slots__ = ()

    def get_conflicts(self) -> List[JSONDict]:
        """Returns every open conflict (all pages of ``x_get_conflicts``), each as
        ``{"key", "entity", "id", "field", "base", "local", "server", "detected_on", "source"}``.

        ``key`` (``"case/12/title"``) names the conflict for :meth:`resolve`; ``base`` is the value
        both sides started from, ``local`` yours, ``server`` the server's; ``source`` is
        ``"pull"`` or ``"push"``. ``field`` is ``"deleted"`` when one side deleted what the other
        changed.
        """
        return self._all("x_get_conflicts")

    def resolve(self, key: str, keep: Optional[str] = None, *, value: Any = _UNSET) -> JSONDict:
        """Settles conflict ``key``: ``keep="local"``, ``keep="server"``, or a new ``value=``.

        - ``keep="local"``: your value stays; the server's becomes the base, so the next push
          sends yours.
        - ``keep="server"``: the store takes the server's value and drops your change of that
          field (for a ``deleted`` conflict: accepts the server's deletion).
        - ``value=...``: sets the field to a new value (an ordinary, journaled edit) and keeps it.

        Give exactly one of ``keep`` and ``value``. Returns ``{"resolved": key,
        "entries_reopened": n}``: the journal entries pending again for the next push. An
        unknown key raises :class:`trailstore.NotFoundError` (field ``key``).
        """
        if keep is not None and value is not _UNSET:
            raise TypeError("resolve() takes keep= or value=, not both")
        if value is not _UNSET:
            body: Dict[str, Any] = {"key": key, "resolution": "value", "value": value}
        elif keep in ("local", "server"):
            body = {"key": key, "resolution": keep}
        elif keep is None:
            raise TypeError('resolve() needs keep="local", keep="server" or value=...')
        else:
            raise ValueError(f'keep must be "local" or "server", not {keep!r}')
        return self._call("x_resolve_conflict", body=body)
