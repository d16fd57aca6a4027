"""The optional runtime checks: import the file (`--import`) and run its parity spec (`--parity`).

Both run in a subprocess with a timeout, so a converted file that hangs or crashes never takes the
checker down with it, and neither imports the file into the checker's own process.

Parity convention: the spec for `outputs/pkg/model.py` is `outputs/pkg/model.parity.yaml` (the
format `torch2ms parity --spec` reads); the torch original is the same relative path in the input
folder the tracker records. A file without a spec gets the parity result "no spec".
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from torch2ms.check.findings import Finding, FileResult

# Runs in the child: put the file's folder and the outputs root on sys.path, turn the CPU
# fallback on (verification only), import the file as the module its path names. Nothing is
# imported from the input folder: outputs/ must be a project that runs on its own, as
# `torch2ms run` requires too (`torch2ms convert` copies the torch-free files into it).
_IMPORT_CHILD = r"""
import importlib, sys
root, modname, folder = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path[:0] = [folder, root]
try:
    from torch2ms import cpu_fallback
except ImportError as exc:
    print(f"note: CPU fallback not available ({exc}); importing without it", file=sys.stderr)
else:
    cpu_fallback.enable()
importlib.import_module(modname)
print("import ok")
"""

SHOWN_LINES = 6


def parity_spec(path: Path) -> Path:
    return path.with_name(path.stem + ".parity.yaml")


def _child_env() -> dict:
    env = dict(os.environ)
    env.setdefault("GLOG_v", "3")  # MindSpore's C++ logging: errors only
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    return env


def _tail(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[-SHOWN_LINES:])


def module_name(path: Path, root: Path) -> tuple[str, Path]:
    """The dotted module name of `path` below `root` (or its stem when outside), and the root used."""
    try:
        rel = path.resolve().relative_to(root.resolve())
        return ".".join(rel.with_suffix("").parts), root
    except ValueError:
        return path.stem, path.parent


def plain_modules(workspace_root: Path) -> dict[str, str]:
    """module name -> path of the input folder's files without torch-ecosystem code (from the
    scan's record): `torch2ms convert` copies them into outputs/; an import failing on one of them
    names the file that is missing there."""
    try:
        scan = json.loads((workspace_root / ".torch2ms" / "scan.json").read_text(encoding="utf-8"))
        input_dir = Path(scan["input_dir"])
        others = scan.get("other_files", [])
    except (OSError, ValueError, KeyError):
        return {}
    out = {}
    for rel in others:
        if not rel.endswith(".py"):
            continue
        parts = Path(rel).with_suffix("").parts
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            out[".".join(parts)] = str(input_dir / rel)
    return out


def import_check(path: Path, root: Path, result: FileResult, timeout: float,
                 plain: dict[str, str] | None = None) -> None:
    name, base = module_name(path, root)
    cmd = [sys.executable, "-c", _IMPORT_CHILD, str(base), name, str(path.resolve().parent)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_child_env(),
                              cwd=str(base))
    except subprocess.TimeoutExpired:
        result.import_result = "timeout"
        result.findings.append(Finding(0, "import", f"importing did not finish within {timeout:g} s "
                                                    "(top-level code that trains or downloads?)"))
        return
    if proc.returncode == 0:
        result.import_result = "ok"
    else:
        result.import_result = "failed"
        result.findings.append(Finding(0, "import", f"importing fails: {_tail(proc.stderr)}"
                                                    f"{_left_behind(proc.stderr, plain or {}, base)}"))


def _left_behind(stderr: str, plain: dict[str, str], outputs_root: Path) -> str:
    """A hint when the missing module is a torch-free file of the input folder."""
    match = re.search(r"No module named '([\w.]+)'", stderr)
    if not match or match.group(1) not in plain:
        return ""
    return (f" ({plain[match.group(1)]} has no torch code and is not in {outputs_root}: run "
            "`torch2ms convert` on any file of the project, it copies such files into outputs/)")


def parity_check(path: Path, source: Path | None, workspace_root: Path, result: FileResult,
                 timeout: float) -> None:
    """Run `torch2ms parity --spec <stem>.parity.yaml <torch original> <output>`."""
    spec = parity_spec(path)
    if not spec.exists():
        result.parity_result = "no spec"
        return
    if source is None or not source.is_file():
        result.parity_result = "failed"
        result.findings.append(Finding(0, "parity", f"{spec.name} exists but the torch original "
                                                    f"{source or '(unknown: the file is not in the tracker)'} "
                                                    "was not found"))
        return
    cmd = [sys.executable, "-m", "torch2ms", "parity", "--spec", str(spec), str(source), str(path)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_child_env(),
                              cwd=str(workspace_root))
    except subprocess.TimeoutExpired:
        result.parity_result = "timeout"
        result.findings.append(Finding(0, "parity", f"{spec.name} did not finish within {timeout:g} s"))
        return
    if proc.returncode == 0:
        result.parity_result = "ok"
    else:
        result.parity_result = "failed"
        result.findings.append(Finding(0, "parity", f"{spec.name} fails: {_tail(proc.stdout + proc.stderr)}"))
