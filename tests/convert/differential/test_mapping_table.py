"""The packaged mapping table: well-formed, large enough, every name real, `verified` earned.

Loading already rejects duplicates and unknown keys (`torch2ms.convert.mappings`); these tests
check the content against the installed torch and MindSpore.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest
import yaml

from torch2ms.convert.mappings import TABLE_DIR, default_table, load_tables

NAMESPACE_FILES = {"torch", "tensor", "nn", "functional", "optim", "data", "misc", "training_libraries"}


def resolve(qualified: str):
    """Import the longest importable prefix, then getattr the rest (raises when missing)."""
    parts = qualified.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for part in parts[i:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(qualified)


def keyword_names(obj) -> set[str] | None:
    """Parameter names a callable accepts by keyword, or None when it cannot be told."""
    try:
        params = inspect.signature(obj).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) for p in params):
        return None
    return {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


@pytest.fixture(scope="module")
def table():
    return default_table()


def test_at_least_400_apis_mapped_across_the_namespaces(table):
    mapped = [e for e in table.values() if e.to is not None]
    assert len(mapped) >= 400, len(mapped)
    files = {Path(e.source).stem for e in table.values()}
    assert files == NAMESPACE_FILES, files
    for entry in table.values():
        name = entry.torch
        expected = ("tensor" if name.startswith("Tensor.") else
                    "functional" if name.startswith("torch.nn.functional.") else
                    "optim" if name.startswith("torch.optim") else
                    "data" if name.startswith("torch.utils.data") else None)
        if expected:
            assert Path(entry.source).stem == expected, f"{name} is in {entry.source}"


def test_no_name_is_defined_twice_in_the_files():
    # yaml itself would keep the last of two equal keys: count the raw keys
    seen: dict[str, str] = {}
    for path in sorted(TABLE_DIR.glob("*.yaml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and not line[0].isspace() and not line.startswith("#"):
                key = line.split(":", 1)[0].strip().strip('"')
                assert key not in seen, f"{key} in {seen[key]} and {path.name}"
                seen[key] = path.name
    assert len(seen) == len(load_tables(TABLE_DIR))


def test_every_torch_name_exists_in_installed_torch(table):
    import torch

    missing = []
    for name in table:
        try:
            if name.startswith("Tensor."):
                getattr(torch.Tensor, name[len("Tensor."):])
            else:
                resolve(name)
        except (ImportError, AttributeError):
            missing.append(name)
    assert not missing, missing


def test_every_target_resolves_in_installed_mindspore(table):
    import mindspore

    missing = []
    for name, entry in table.items():
        if entry.to is None:
            continue
        try:
            if entry.is_method and not entry.method_target_is_function:
                getattr(mindspore.Tensor, entry.to)
            else:
                assert entry.to.startswith(("mindspore.", "mindone.")), "not a MindSpore name"
                resolve(entry.to)
        except (ImportError, AttributeError, AssertionError):
            missing.append(f"{name} -> {entry.to}")
    assert not missing, missing


def test_argument_handling_is_consistent(table):
    """No argument is handled twice, renames land on names the target accepts (when its
    signature can be read), defaults are Python expressions."""
    problems = []
    for name, entry in table.items():
        if len(set(entry.drop) | set(entry.drop_silent)) != len(entry.drop) + len(entry.drop_silent):
            problems.append(f"{name}: an argument both in drop and drop_silent")
        if set(entry.rename) & (set(entry.drop) | set(entry.drop_silent) | set(entry.unsupported)):
            problems.append(f"{name}: an argument renamed and also dropped or unsupported")
        for value in entry.defaults.values():
            try:
                ast.parse(value, mode="eval")
            except SyntaxError:
                problems.append(f"{name}: default {value!r} is not a Python expression")
        if entry.to is None or not entry.rename:
            continue
        target = (entry.to if not entry.is_method or entry.method_target_is_function else None)
        accepted = keyword_names(resolve(target)) if target else None
        if accepted is not None:
            for old, new in entry.rename.items():
                if new not in accepted:
                    problems.append(f"{name}: rename {old} -> {new}, but {entry.to} takes {sorted(accepted)}")
    assert not problems, problems


def test_verified_entries_are_covered_by_passing_differential_cases(table, case_table, expected_failures):
    """`status: verified` only where differential cases run the converted call cleanly (a case
    listed as `flagged` shows an unsupported argument being flagged, which is right)."""
    covered = {c["api"] for c in case_table}
    failing = {c["api"] for c in case_table if expected_failures.get(c["id"], "flagged") != "flagged"}
    wrong = [name for name, e in table.items() if e.status == "verified"
             and (name not in covered or name in failing or e.to is None)]
    assert not wrong, wrong
    verified = sum(e.status == "verified" for e in table.values())
    assert verified >= 300, verified


def test_every_tested_api_has_an_entry(table, case_table):
    missing = sorted({c["api"] for c in case_table} - set(table))
    assert not missing, missing


def test_expected_failures_name_real_cases(case_table, expected_failures):
    ids = {c["id"] for c in case_table}
    assert set(expected_failures) <= ids, sorted(set(expected_failures) - ids)


def test_case_files_parse():
    for path in (Path(__file__).parent / "cases").glob("*.yaml"):
        assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict), path


# method names counted on receivers that are seldom tensors (str.index, PIL resize, dict.values)
LOOK_ALIKES = {"Tensor.shape", "Tensor.resize", "Tensor.values", "Tensor.index"}
COUNTS = Path(__file__).resolve().parents[3] / "benchmarks" / "torch_call_counts.csv"


def test_the_most_called_apis_have_an_entry_or_a_rule(table):
    """Every API with 30+ call sites in transformers' models/ is handled by the table or a rule."""
    import csv

    from torch2ms.convert import rules

    rules.load_all()
    missing = []
    with COUNTS.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            name = row["api"]
            if int(row["call_sites"]) < 30 or name in table or name in LOOK_ALIKES:
                continue
            if row["kind"] == "method" and rules.METHODS.get(name[len("Tensor."):]):
                continue
            if row["kind"] == "function" and (rules.call_handlers(name) or rules.reference_handlers(name)):
                continue
            missing.append(f"{name} ({row['call_sites']})")
    assert not missing, missing


def test_call_counter_resolves_aliases(tmp_path):
    import collections
    import importlib.util

    spec = importlib.util.spec_from_file_location("count_torch_calls", COUNTS.with_name("count_torch_calls.py"))
    counter = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(counter)
    source = tmp_path / "model.py"
    source.write_text(
        "import torch as t\nimport torch.nn.functional as F\nfrom torch import nn\n"
        "from torch.nn import Linear as L\n"
        "def f(x, config, names):\n"
        "    from torch.nn import functional as G\n"
        "    y = t.cat([x, x], 1) + F.gelu(x) + G.relu(x)\n"
        "    m = nn.Linear(2, 2); k = L(2, 2)\n"
        "    names.index('a'); config.max(3); 'a,b'.split(',')\n"
        "    return y.view(-1).transpose(0, 1)\n", encoding="utf-8")
    calls, methods, files = collections.Counter(), collections.Counter(), collections.defaultdict(set)
    counter.count_file(source, {"view", "transpose", "index", "max", "split"}, calls, methods, files)
    assert calls == {"torch.cat": 1, "torch.nn.functional.gelu": 1, "torch.nn.functional.relu": 1,
                     "torch.nn.Linear": 2}
    assert methods == {"Tensor.view": 1, "Tensor.transpose": 1}
