"""The public surface: stubs match the native module, docstrings everywhere, testrail-api's
layout."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

import trailstore
from trailstore import _native

PACKAGE = Path(trailstore.__file__).parent

# Method names and parameters of testrail-api's categories that trailstore serves (from
# tolstislon/testrail-api 1.14, testrail_api/_category.py).
TESTRAIL_API: Dict[str, Dict[str, List[str]]] = {
    "cases": {
        "get_case": ["case_id"],
        "get_cases": ["project_id", "kwargs"],
        "get_cases_bulk": ["project_id", "kwargs"],
        "get_history_for_case": ["case_id", "limit", "offset"],
        "add_case": ["section_id", "title", "kwargs"],
        "update_case": ["case_id", "kwargs"],
        "update_cases": ["case_ids", "suite_id", "kwargs"],
        "delete_case": ["case_id", "soft"],
        "delete_cases": ["project_id", "case_ids", "suite_id", "soft"],
        "copy_cases_to_section": ["section_id", "case_ids"],
        "move_cases_to_section": ["section_id", "suite_id", "case_ids"],
    },
    "sections": {
        "get_section": ["section_id"],
        "get_sections": ["project_id", "limit", "offset", "kwargs"],
        "get_sections_bulk": ["project_id", "kwargs"],
        "add_section": ["project_id", "name", "kwargs"],
        "update_section": ["section_id", "kwargs"],
        "move_section": ["section_id", "parent_id", "after_id"],
        "delete_section": ["section_id", "soft"],
    },
    "projects": {
        "get_project": ["project_id"],
        "get_projects": ["limit", "offset", "kwargs"],
        "add_project": ["name", "kwargs"],
        "update_project": ["project_id", "kwargs"],
        "delete_project": ["project_id"],
    },
    "suites": {
        "get_suite": ["suite_id"],
        "get_suites": ["project_id", "offset", "limit"],
        "get_suites_bulk": ["project_id", "kwargs"],
        "add_suite": ["project_id", "name", "kwargs"],
        "update_suite": ["suite_id", "kwargs"],
        "delete_suite": ["suite_id", "soft"],
    },
    "case_fields": {
        "get_case_fields": [],
        "add_case_field": ["type", "name", "label", "configs", "kwargs"],
    },
    "case_types": {"get_case_types": []},
    "priorities": {"get_priorities": []},
    "templates": {"get_templates": ["project_id"]},
    "users": {
        "get_user": ["user_id"],
        "get_current_user": ["user_id"],
        "get_user_by_email": ["email"],
        "get_users": ["project_id", "offset", "limit"],
        "get_users_bulk": ["project_id", "kwargs"],
    },
    "milestones": {
        "get_milestone": ["milestone_id"],
        "get_milestones": ["project_id", "limit", "offset", "kwargs"],
        "add_milestone": ["project_id", "name", "kwargs"],
        "update_milestone": ["milestone_id", "kwargs"],
        "delete_milestone": ["milestone_id"],
        "get_milestones_bulk": ["project_id", "kwargs"],
    },
    "runs": {
        "get_run": ["run_id"],
        "get_runs": ["project_id", "kwargs"],
        "add_run": ["project_id", "kwargs"],
        "update_run": ["run_id", "kwargs"],
        "close_run": ["run_id"],
        "delete_run": ["run_id", "soft"],
        "get_runs_bulk": ["project_id", "kwargs"],
    },
    "tests": {
        "get_test": ["test_id", "kwargs"],
        "get_tests": ["run_id", "limit", "offset", "kwargs"],
        "get_tests_bulk": ["run_id", "kwargs"],
    },
    "results": {
        "get_results": ["test_id", "limit", "offset", "kwargs"],
        "get_results_for_case": ["run_id", "case_id", "limit", "offset", "kwargs"],
        "get_results_for_run": ["run_id", "limit", "offset", "kwargs"],
        "add_result": ["test_id", "kwargs"],
        "add_result_for_case": ["run_id", "case_id", "kwargs"],
        "add_results": ["run_id", "results"],
        "add_results_for_cases": ["run_id", "results"],
        "edit_result": ["result_id", "kwargs"],
        "get_results_bulk": ["test_id", "kwargs"],
        "get_results_for_case_bulk": ["run_id", "case_id", "kwargs"],
        "get_results_for_run_bulk": ["run_id", "kwargs"],
    },
    "plans": {
        "get_plan": ["plan_id"],
        "get_plans": ["project_id", "kwargs"],
        "add_plan": ["project_id", "name", "kwargs"],
        "add_plan_entry": ["plan_id", "suite_id", "kwargs"],
        "add_run_to_plan_entry": ["plan_id", "entry_id", "config_ids", "kwargs"],
        "update_plan": ["plan_id", "kwargs"],
        "update_plan_entry": ["plan_id", "entry_id", "kwargs"],
        "update_run_in_plan_entry": ["run_id", "kwargs"],
        "close_plan": ["plan_id"],
        "delete_plan": ["plan_id"],
        "delete_plan_entry": ["plan_id", "entry_id"],
        "delete_run_from_plan_entry": ["run_id"],
        "get_plans_bulk": ["project_id", "kwargs"],
    },
    "statuses": {"get_statuses": []},
    "result_fields": {"get_result_fields": []},
    "configurations": {
        "get_configs": ["project_id"],
        "add_config_group": ["project_id", "name"],
        "add_config": ["config_group_id", "name"],
        "update_config_group": ["config_group_id", "name"],
        "update_config": ["config_id", "name"],
        "delete_config_group": ["config_group_id"],
        "delete_config": ["config_id"],
    },
    "attachments": {
        "add_attachment_to_plan": ["plan_id", "path"],
        "add_attachment_to_plan_entry": ["plan_id", "entry_id", "path"],
        "add_attachment_to_result": ["result_id", "path"],
        "add_attachment_to_run": ["run_id", "path"],
        "add_attachment_to_case": ["case_id", "path"],
        "get_attachments_for_case": ["case_id", "limit", "offset"],
        "get_attachments_for_plan": ["plan_id", "limit", "offset"],
        "get_attachments_for_plan_entry": ["plan_id", "entry_id", "kwargs"],
        "get_attachments_for_run": ["run_id", "limit", "offset"],
        "get_attachments_for_test": ["test_id", "kwargs"],
        "get_attachment": ["attachment_id", "path"],
        "delete_attachment": ["attachment_id"],
        "get_attachments_for_case_bulk": ["case_id"],
        "get_attachments_for_plan_bulk": ["plan_id"],
        "get_attachments_for_run_bulk": ["run_id"],
        "get_attachments_for_plan_entry_bulk": ["plan_id", "entry_id"],
        "get_attachments_for_test_bulk": ["test_id"],
    },
}

# Defaults of those methods' parameters, where testrail-api gives one.
TESTRAIL_API_DEFAULTS: Dict[str, Dict[str, Dict[str, object]]] = {
    "runs": {"delete_run": {"soft": 0}},
    "tests": {"get_tests": {"limit": 250, "offset": 0}},
    "results": {
        "get_results": {"limit": 250, "offset": 0},
        "get_results_for_case": {"limit": 250, "offset": 0},
        "get_results_for_run": {"limit": 250, "offset": 0},
    },
    "milestones": {"get_milestones": {"limit": 250, "offset": 0}},
    "attachments": {
        "get_attachments_for_case": {"limit": 250, "offset": 0},
        "get_attachments_for_plan": {"limit": 250, "offset": 0},
        "get_attachments_for_run": {"limit": 250, "offset": 0},
    },
}


def test_stubs_match_the_native_module(tmp_path: Path) -> None:
    """mypy's stubtest compares _native.pyi with the compiled module."""
    pytest.importorskip("mypy")
    env = dict(os.environ, MYPYPATH="")
    run = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "trailstore._native", "--concise"],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(tmp_path),  # not python/, whose trailstore/ has no compiled module
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_stub_file_ships_with_the_package() -> None:
    assert (PACKAGE / "_native.pyi").is_file()
    assert (PACKAGE / "py.typed").is_file()


def test_all_lists_real_names() -> None:
    for name in trailstore.__all__:
        assert hasattr(trailstore, name), name
    assert trailstore.__version__ == _native.__version__
    assert trailstore.PAGE_MAX == 250


def test_testrail_api_layout(store: trailstore.Store) -> None:
    for category, methods in TESTRAIL_API.items():
        obj = getattr(store, category)
        for method, params in methods.items():
            sig = inspect.signature(getattr(obj, method))
            assert list(sig.parameters) == params, f"{category}.{method}{sig}"
    for category, with_defaults in TESTRAIL_API_DEFAULTS.items():
        for method, defaults in with_defaults.items():
            sig = inspect.signature(getattr(getattr(store, category), method))
            got = {n: sig.parameters[n].default for n in defaults}
            assert got == defaults, f"{category}.{method}{sig}"


def test_store_sync_and_search_signatures() -> None:
    def params(fn: object) -> List[str]:
        return [
            f"{p.name}={p.default!r}" if p.default is not p.empty else p.name
            for p in inspect.signature(fn).parameters.values()  # type: ignore[arg-type]
        ]

    assert params(trailstore.Store.search) == [
        "self", "project_id", "query=''", "suite_id=None", "section_id=None",
        "priority_id=None", "type_id=None", "template_id=None", "milestone_id=None",
        "created_by=None", "updated_by=None", "created_after=None", "created_before=None",
        "updated_after=None", "updated_before=None", "custom=None", "limit=50", "offset=0",
        "count=False", "highlight=True",
    ]  # fmt: skip
    assert params(trailstore.Store.pull) == [
        "self", "url=None", "user=None", "key=None", "projects=None", "scan=True",
        "results=False", "attachments=False", "config=None",
    ]  # fmt: skip
    assert params(trailstore.Store.push) == [
        "self", "url=None", "user=None", "key=None", "dry_run=False", "closed_run='hold'",
        "config=None",
    ]  # fmt: skip
    keyword_only = inspect.Parameter.KEYWORD_ONLY
    for fn, first in ((trailstore.Store.search, "suite_id"), (trailstore.Store.pull, "projects")):
        sig = inspect.signature(fn)
        names = list(sig.parameters)
        assert all(
            sig.parameters[n].kind is keyword_only for n in names[names.index(first) :]
        )
    assert params(trailstore.Conflicts.resolve) == ["self", "key", "keep=None", "value=<unset>"]
    assert params(trailstore.Conflicts.get_conflicts) == ["self"]


def _public_members(obj: object) -> List[str]:
    return [n for n in dir(obj) if not n.startswith("_")]


def test_docstrings_on_everything_public() -> None:
    missing = []
    for name in trailstore.__all__:
        obj = getattr(trailstore, name)
        if isinstance(obj, (int, str)):
            continue
        if not inspect.getdoc(obj):
            missing.append(name)
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            for member in _public_members(obj):
                attr = getattr(obj, member)
                if callable(attr) or isinstance(attr, property):
                    if not inspect.getdoc(attr):
                        missing.append(f"{name}.{member}")
    for cls in (_native.NativeStore, _native.NativeBatch):
        for member in _public_members(cls):
            if not inspect.getdoc(getattr(cls, member)):
                missing.append(f"{cls.__name__}.{member}")
    assert trailstore.__doc__
    assert not missing, missing
