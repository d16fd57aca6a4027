"""Every MindSpore-side name and keyword that CLAUDE.md and docs/rules/ teach exists in the
installed packages, and every example file they point to exists: a wrong rule would teach every
conversion the mistake."""

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RULE_FILES = [ROOT / "CLAUDE.md", *sorted((ROOT / "docs" / "rules").glob("*.md")),
              ROOT / "examples" / "dataset" / "README.md", ROOT / "examples" / "train" / "README.md"]

# Short prefixes used in the rules -> the module they stand for.
PREFIXES = {"mindspore": "mindspore", "ms": "mindspore", "mint": "mindspore.mint", "ops": "mindspore.ops",
            "mindone": "mindone", "mindcv": "mindcv"}
DOTTED = re.compile(r"(?<![\w.])(mindspore|ms|mint|ops|mindone|mindcv)((?:\.\w+)+)")
SNIPPET = re.compile(r"`([^`]+)`")


def resolve(prefix, rest):
    """The object named by prefix + rest, importing submodules as needed."""
    module_name = PREFIXES[prefix]
    obj = importlib.import_module(module_name)
    for part in rest.strip(".").split("."):
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        module_name = f"{module_name}.{part}"
        obj = importlib.import_module(module_name)
    return obj


def snippets():
    for path in RULE_FILES:
        for snippet in SNIPPET.findall(path.read_text()):
            yield path.relative_to(ROOT), snippet


def names():
    found = {}
    for path, snippet in snippets():
        for prefix, rest in DOTTED.findall(snippet):
            if rest.endswith(".X"):  # a placeholder ("mindone.transformers.X")
                continue
            found.setdefault(f"{prefix}{rest}", (path, prefix, rest))
    return found


@pytest.fixture(scope="session")
def mindone_transformers():
    """Imported once per run (about 10 s): some rules name mindone.transformers classes."""
    return importlib.import_module("mindone.transformers")


def test_rule_files_exist():
    assert all(path.is_file() for path in RULE_FILES)
    assert len((ROOT / "CLAUDE.md").read_text().splitlines()) <= 150


def test_named_apis_exist(mindone_transformers):
    table = names()
    assert len(table) >= 40  # the rules name many APIs (61 now); a broken pattern would find few
    missing = []
    for name, (path, prefix, rest) in sorted(table.items()):
        try:
            resolve(prefix, rest)
        except (ImportError, AttributeError) as exc:
            missing.append(f"{path}: {name} ({type(exc).__name__})")
    assert not missing, "\n".join(missing)


def _calls(snippet):
    """(prefix, rest, keyword names) of each call to a MindSpore name in a parseable snippet."""
    try:
        tree = ast.parse(snippet.strip().rstrip(";"))
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.keywords:
            match = DOTTED.fullmatch(ast.unparse(node.func))
            if match:
                yield match.group(1), match.group(2), [k.arg for k in node.keywords if k.arg]


def test_named_keywords_exist(mindone_transformers):
    checked, wrong = 0, []
    for path, snippet in snippets():
        for prefix, rest, keywords in _calls(snippet):
            obj = resolve(prefix, rest)
            target = obj.__init__ if inspect.isclass(obj) else obj
            try:
                params = inspect.signature(target).parameters
            except (TypeError, ValueError):
                continue
            if any(p.kind is p.VAR_KEYWORD for p in params.values()):
                continue
            checked += 1
            wrong += [f"{path}: {prefix}{rest}({k}=...)" for k in keywords if k not in params]
    assert checked >= 10
    assert not wrong, "\n".join(wrong)


def test_referenced_example_files_exist():
    refs = set()
    for path in RULE_FILES:
        refs |= set(re.findall(r"`((?:examples|docs)/[\w./-]+)`", path.read_text()))
    assert refs
    assert not [r for r in sorted(refs) if not (ROOT / r).exists()]


def test_mindspore_examples_pass_the_check():
    """The ports the rules point to pass `torch2ms check`, like any converted file must."""
    import json
    import subprocess
    import sys

    ports = ["examples/modeling/modeling_cohere2.py", "examples/inference/generate_ms.py",
             "examples/train/train_ms.py", "examples/dataset/dataset.py"]
    run = subprocess.run([sys.executable, "-m", "torch2ms", "check", "--json", *ports], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    verdicts = {path: entry["verdict"] for path, entry in json.loads(run.stdout)["files"].items()}
    assert verdicts == {path: "pass" for path in ports}, run.stdout
