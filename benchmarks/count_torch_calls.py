"""Count torch API call sites over the installed transformers `models/` folder.

    python benchmarks/count_torch_calls.py [--top 60] [--csv benchmarks/torch_call_counts.csv]

Calls are counted by qualified name, with aliases resolved from the file's imports
(`import torch.nn.functional as F`, `from torch import nn`, `from torch.nn import Linear`, also
inside functions). Tensor methods are counted separately, by method name, when the receiver is
likely a tensor: the name is a `torch.Tensor` method and the receiver is not a module alias, a
string, a config object or a known non-tensor library; this part is an estimate.
The ranking decides which APIs the mapping table covers first.
"""

from __future__ import annotations

import argparse
import ast
import collections
import csv
import importlib.util
import sys
from pathlib import Path

# receivers whose methods are never tensor methods (by their last name part)
NOT_TENSOR = {
    "self", "cls", "config", "kwargs", "os", "re", "math", "np", "numpy", "logger", "logging",
    "warnings", "json", "sys", "itertools", "functools", "collections", "copy", "inspect",
    "string", "str", "dict", "list", "tuple", "set", "parser", "path", "Path", "super",
}
# methods shared with str/list/dict: counted only on receivers that are not literals or containers
AMBIGUOUS = {"split", "index", "copy", "count", "max", "min", "sum", "view", "size", "get"}


def models_dir() -> Path:
    spec = importlib.util.find_spec("transformers")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("count_torch_calls: transformers is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


def dotted_name(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def torch_aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> torch qualified name, from every import in the file."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != "torch":
                    continue
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    aliases["torch"] = "torch"
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "torch":
                continue
            for alias in node.names:
                if alias.name != "*":
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def qualify(name: str, aliases: dict[str, str]) -> str | None:
    head, _, rest = name.partition(".")
    if head not in aliases:
        return None
    return aliases[head] + ("." + rest if rest else "")


def receiver_is_likely_tensor(receiver: ast.AST, method: str, aliases: dict[str, str]) -> bool:
    if isinstance(receiver, (ast.Constant, ast.JoinedStr, ast.List, ast.Dict, ast.Tuple, ast.Set)):
        return False
    name = dotted_name(receiver)
    if name is not None:
        if qualify(name, aliases) is not None:  # a torch module, not a tensor
            return False
        last = name.rsplit(".", 1)[-1]
        if name.split(".")[0] in NOT_TENSOR and "." not in name:
            return False
        if last in NOT_TENSOR or last.endswith("config") or last.endswith("_dict"):
            return False
        if method in AMBIGUOUS and (last.endswith("s") and last not in ("hidden_states", "logits")):
            return False  # `names.index(...)`, `parts.split(...)`: plural names are containers
    return True


def count_file(path: Path, tensor_methods: set[str], calls, methods, files) -> None:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return
    aliases = torch_aliases(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = dotted_name(node.func)
        qualified = qualify(name, aliases) if name else None
        if qualified is not None:
            calls[qualified] += 1
            files[("function", qualified)].add(path)
        elif isinstance(node.func, ast.Attribute) and node.func.attr in tensor_methods:
            if receiver_is_likely_tensor(node.func.value, node.func.attr, aliases):
                key = "Tensor." + node.func.attr
                methods[key] += 1
                files[("method", key)].add(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=60, help="rows of the ranking to print")
    parser.add_argument("--csv", type=Path, help="write the full counts here")
    args = parser.parse_args(argv)

    import torch  # only for the list of Tensor method names

    tensor_methods = {n for n in dir(torch.Tensor) if not n.startswith("_")}
    root = models_dir()
    paths = sorted(root.rglob("*.py"))
    calls: collections.Counter = collections.Counter()
    methods: collections.Counter = collections.Counter()
    files: dict = collections.defaultdict(set)
    for path in paths:
        count_file(path, tensor_methods, calls, methods, files)

    rows = [("function", n, c, len(files[("function", n)])) for n, c in calls.items()]
    rows += [("method", n, c, len(files[("method", n)])) for n, c in methods.items()]
    rows.sort(key=lambda r: (-r[2], r[1]))
    print(f"{len(paths)} files under {root}")
    print(f"torch call sites: {sum(calls.values())} ({len(calls)} APIs); "
          f"likely tensor-method call sites: {sum(methods.values())} ({len(methods)} methods)")
    for kind in ("function", "method"):
        print(f"\ntop {kind}s:")
        for _, name, count, nfiles in [r for r in rows if r[0] == kind][: args.top]:
            print(f"{count:8d} {nfiles:6d} files  {name}")
    if args.csv:
        with args.csv.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["kind", "api", "call_sites", "files"])
            writer.writerows(rows)
        print(f"\nwrote {len(rows)} rows to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
