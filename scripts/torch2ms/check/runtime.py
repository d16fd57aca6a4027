"""The optional runtime checks: import the file (`--import`) and run its parity specs (`--parity`).

Each runs in a child process bounded by `torch2ms.sandbox` (its own process group, a time limit,
an address-space limit, the whole group killed at the end), so a converted file that hangs,
forks or allocates without end never takes the checker down, and nothing of it is imported into
the checker's own process.

The import child sees `sys.argv == [path]`, runs in an empty temporary folder, has no network
(connections refused, Hugging Face hubs offline) and imports the file through `torch2ms.loader`:
as `python -c "import pkg.model"` imports it from the outputs root (no own folder first, nothing
from the input folder), and, for a script, its definitions only (its top-level work is not run;
the verdict says `import ok (definitions only)`).

Parity convention: next to `outputs/pkg/model.py`, `model.parity.yaml` is the module spec
(`torch2ms parity --spec`) and `model.run.yaml` the script run spec (`torch2ms parity-run
--spec`); the torch original is the same relative path in the input folder the tracker records.
A file without a module spec gets the parity result "no spec"; without a run spec, no run result.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path

from torch2ms import sandbox
from torch2ms.check.findings import Finding, FileResult
from torch2ms.loader import module_name  # noqa: F401  (re-exported: the checker's callers use it)

# Runs in the child. Nothing is imported from the input folder: outputs/ must be a project that
# runs on its own, as `torch2ms run` requires too (`torch2ms convert` copies the torch-free files).
_IMPORT_CHILD = r"""
import json, socket, sys
path, root = sys.argv[1], sys.argv[2]
sys.argv = [path]  # what the module sees as its command line: `python path` with no arguments

def _refused(*args, **kwargs):
    raise OSError("no network while torch2ms check --import imports a file")

def _guarded(method):
    def connect(self, address, *args):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _refused()
        return method(self, address, *args)
    return connect
socket.socket.connect = _guarded(socket.socket.connect)
socket.socket.connect_ex = _guarded(socket.socket.connect_ex)
socket.create_connection = _refused
socket.getaddrinfo = _refused
try:
    from torch2ms import cpu_fallback
except ImportError as exc:
    print(f"note: CPU fallback not available ({exc}); importing without it", file=sys.stderr)
else:
    cpu_fallback.enable()
from torch2ms import loader
module = loader.import_port(path, root)
print("torch2ms-import " + json.dumps({"module": module.__name__, "skipped": loader.skipped(module.__name__)}))
"""

SHOWN_LINES = 6
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def parity_spec(path: Path) -> Path:
    return path.with_name(path.stem + ".parity.yaml")


def run_spec(path: Path) -> Path:
    return path.with_name(path.stem + ".run.yaml")


def _tail(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines[-SHOWN_LINES:])


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


def _bound_message(outcome, timeout: float, what: str) -> str | None:
    if outcome.timed_out:
        return f"{what} did not finish within {timeout:g} s (its process group was killed)"
    if outcome.out_of_memory:
        return (f"{what} ran out of memory under the address-space limit of "
                f"{outcome.memory_limit / (1 << 30):.0f} GiB ({sandbox.ENV_MEMORY} changes it)")
    return None


def import_check(path: Path, root: Path, result: FileResult, timeout: float,
                 plain: dict[str, str] | None = None) -> None:
    _, base = module_name(path, root)
    cmd = [sys.executable, "-c", _IMPORT_CHILD, str(path.resolve()), str(base)]
    with tempfile.TemporaryDirectory(prefix="torch2ms-import-") as cwd:
        outcome = sandbox.run(cmd, timeout=timeout, cwd=cwd, env=sandbox.child_env(**OFFLINE))
    bound = _bound_message(outcome, timeout, "importing")
    if outcome.timed_out:
        result.import_result = "timeout"
        result.findings.append(Finding(0, "import", bound + " (top-level code that waits on something?)"))
        return
    if outcome.returncode == 0:
        info = _child_info(outcome.stdout)
        skipped = info.get("skipped") or []
        if skipped:
            result.import_result = "ok (definitions only)"
            shown = ", ".join(f"L{line} {what}" for line, what in skipped[:4])
            more = f" and {len(skipped) - 4} more" if len(skipped) > 4 else ""
            result.notes.append(f"import: definitions only: {len(skipped)} top-level statements not run "
                                f"({shown}{more})")
        else:
            result.import_result = "ok"
        return
    result.import_result = "failed"
    why = f"importing fails: {_tail(outcome.stderr)}" + (f" ({bound})" if bound else "")
    result.findings.append(Finding(0, "import", f"{why}{_left_behind(outcome.stderr, plain or {}, base)}"))


def _verdict_lines(text: str) -> str:
    """What a failed parity run says that matters: its mismatch lines (with the case they belong
    to), the first failing values and its last line; the plain tail when it said none of that."""
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip()]
    picked, case = [], None
    for ln in lines:
        if ln.startswith("== case "):
            case = ln.strip("= ").removeprefix("case ")
        elif "MISMATCH" in ln or "TIMEOUT" in ln:
            picked.append(f"{case}: {ln}" if case else ln)
        elif ln.lstrip().startswith(("FAIL ", "fail ", "first diverging", "at ")) and len(picked) < 8:
            picked.append(ln.strip())
    if not picked:
        return _tail(text)
    if lines[-1] not in picked:
        picked.append(lines[-1])
    return " | ".join(picked[:10])


def _child_info(stdout: str) -> dict:
    for line in reversed(stdout.splitlines()):
        if line.startswith("torch2ms-import "):
            try:
                return json.loads(line[len("torch2ms-import "):])
            except ValueError:
                return {}
    return {}


def _left_behind(stderr: str, plain: dict[str, str], outputs_root: Path) -> str:
    """A hint when the missing module is a torch-free file of the input folder."""
    match = re.search(r"No module named '([\w.]+)'", stderr)
    if not match or match.group(1) not in plain:
        return ""
    base = Path(outputs_root).joinpath(*match.group(1).split("."))
    if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
        return ""  # it is in outputs/: something else keeps it from importing
    return (f" ({plain[match.group(1)]} has no torch code and is not in {outputs_root}: run "
            "`torch2ms convert` on any file of the project, it copies such files into outputs/)")


def parity_check(path: Path, source: Path | None, workspace_root: Path, result: FileResult,
                 timeout: float, around=None) -> None:
    """Run the module spec (`torch2ms parity`) and the run spec (`torch2ms parity-run`) next to the
    output, each against the torch original; `around(run, command, spec, ...)`, when given, is
    called instead of each `run(command, spec, ...)` (the check's verdict cache)."""
    def spec_run(*args):
        return around(_spec_run, *args) if around is not None else _spec_run(*args)

    spec = parity_spec(path)
    if spec.exists():
        result.parity_result = spec_run("parity", spec, path, source, workspace_root, result, timeout)
    else:
        result.parity_result = "no spec"
    spec = run_spec(path)
    if spec.exists():
        result.run_result = spec_run("parity-run", spec, path, source, workspace_root, result, timeout)


def match_figures(text: str) -> str:
    """What a matching `torch2ms parity` / `parity-run` compared: its cases (or values, steps) and
    the largest difference it printed."""
    import re

    cases = re.search(r"(\d+) of (\d+) cases match", text)
    counted = re.findall(r"MATCH, (\d+)/(\d+) (values|losses|generated outputs|outputs)", text)
    diffs = [float(x) for x in re.findall(r"max abs (?:err|diff) ([0-9.]+(?:e[-+]?\d+)?)", text)]
    what = (f"{cases.group(2)} cases" if cases else
            f"{counted[0][1]} {counted[0][2]}" if counted else "all compared")
    return what + (f", max abs diff {max(diffs):.3g}" if diffs else "")


def _spec_timeout(spec: Path) -> tuple[float, int]:
    """The spec's own `timeout` (0 when it sets none) and how many runs (`cases:`) it asks for."""
    import yaml

    try:
        data = yaml.safe_load(spec.read_text(encoding="utf-8")) or {}
        cases = data.get("cases")
        return float(data.get("timeout", 0)), len(cases) if isinstance(cases, list) and cases else 1
    except (OSError, ValueError, TypeError, AttributeError, yaml.YAMLError):
        return 0.0, 1


def _spec_run(command: str, spec: Path, path: Path, source: Path | None, workspace_root: Path,
              result: FileResult, timeout: float) -> str:
    code = "parity" if command == "parity" else "run"
    if source is None or not source.is_file():
        result.findings.append(Finding(0, code, f"{spec.name} exists but the torch original "
                                                f"{source or '(unknown: the file is not in the tracker)'} "
                                                "was not found"))
        return "failed"
    cmd = [sys.executable, "-m", "torch2ms", command, "--spec", str(spec), str(source), str(path)]
    if command == "parity-run":  # two runs per case, each bounded by the spec's own timeout when it sets one
        own, cases = _spec_timeout(spec)
        timeout = cases * max(timeout, 2 * own + 60)
    outcome = sandbox.run(cmd, timeout=timeout, cwd=str(workspace_root), env=sandbox.child_env())
    text = outcome.stdout + outcome.stderr
    bound = _bound_message(outcome, timeout, spec.name)
    try:
        return _verdict(outcome, text, bound, code, spec, result)
    finally:  # which file each side's model came from (`torch2ms parity` prints it per case)
        for line in dict.fromkeys(ln for ln in outcome.stdout.splitlines() if ln.startswith("models: ")):
            result.notes.append(f"{code}: {spec.name} {line.replace(str(workspace_root.resolve()) + '/', '')}")


def _verdict(outcome, text: str, bound: str | None, code: str, spec: Path, result: FileResult) -> str:
    if outcome.timed_out:
        result.findings.append(Finding(0, code, bound))
        return "timeout"
    if outcome.returncode == 0:
        from torch2ms.parity.compare import TRIVIAL

        trivial = f" (warning: {TRIVIAL})" if TRIVIAL in text else ""
        result.notes.append(f"{code}: {spec.name} matches: {match_figures(text)}{trivial}")
        return "ok"
    if outcome.returncode == 3:  # the torch original cannot be imported here: not the port's fault
        line = next((ln for ln in text.splitlines() if "TORCH SIDE UNAVAILABLE" in ln), _tail(text))
        result.notes.append(f"{code}: {spec.name} cannot run: {line.split('UNAVAILABLE, ', 1)[-1]}")
        return "torch side unavailable"
    if outcome.returncode == 4:  # the torch original fails at run time: the spec is not at fault
        line = next((ln for ln in text.splitlines() if "TORCH RUN FAILED" in ln), _tail(text))
        result.findings.append(Finding(0, code, f"{spec.name}: torch run failed: "
                                                f"{line.split('FAILED, ', 1)[-1]} (nothing was compared)"))
        return "torch run failed"
    if outcome.returncode == 2:
        result.findings.append(Finding(0, code, f"{spec.name} cannot be used: {_tail(outcome.stderr or text)} "
                                                "(fix the spec)"))
        return "spec error"
    result.findings.append(Finding(0, code, f"{spec.name} fails: {_verdict_lines(text)}" + (f" ({bound})" if bound else "")))
    return "failed"
