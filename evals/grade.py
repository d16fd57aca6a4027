"""The deterministic graders of the eval suite: the pack's own checks on what a run wrote.

    python evals/grade.py CASE RUN_DIR [--json]

CASE is a case folder of this suite (evals/classifier-package) and RUN_DIR the working folder of
one run (kept with `claude plugin eval --keep-temp`), or any folder holding the case's project
with its port in outputs/. Nothing runs in RUN_DIR: the case's pristine project, the run's
outputs/*.py and the case's own specs (CASE/specs/, which replace any spec the run wrote) are
copied into a fresh workspace, where `torch2ms scan`, `torch2ms check --import --parity` and
`torch2ms report` run. Graders, each pass or fail:

  input-untouched    the run left the torch project as the scaffold wrote it
  outputs-complete   every file the scan lists has an output
  no-torch-left      no output imports or calls the torch ecosystem (check's torch-* findings)
  no-open-markers    no `# TODO(torch2ms)` marker left
  checks-pass        `torch2ms check` passes on every output (parses, names defined, APIs exist)
  imports            every output imports (`--import`)
  parity             every spec of the case matches the torch original (`--parity`)
  report-counts      the pack's report (conversion_report.md) counts every file as passing and
                     every spec as matching

Exit 0 when every grader passes, 1 when one fails, 2 on bad input. The same verdicts need no
model and no credential: they grade a run of either arm of `claude plugin eval`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAUNCHER = HERE.parent / "bin" / "torch2ms"
SPEC_SUFFIXES = (".parity.yaml", ".run.yaml")
SKIPPED = {"outputs", ".torch2ms", "__pycache__", ".git"}


def torch2ms(workspace: Path, *args: str, timeout: int = 1800) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TORCH2MS_WORKSPACE"}
    return subprocess.run([str(LAUNCHER), *args, "--workspace", str(workspace)], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=timeout)


def project_files(root: Path) -> dict[str, str]:
    """The project's files (outside outputs/ and the pack's state), relative path -> sha256."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not set(rel.parts[:-1]) & SKIPPED:
            found[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def stage(case: Path, run_dir: Path, workspace: Path) -> None:
    shutil.copytree(case / "project", workspace, dirs_exist_ok=True)
    outputs = workspace / "outputs"
    outputs.mkdir(exist_ok=True)
    for path in sorted((run_dir / "outputs").rglob("*.py")) if (run_dir / "outputs").is_dir() else []:
        if path.is_file() and not path.is_symlink() and "__pycache__" not in path.parts:
            dest = outputs / path.relative_to(run_dir / "outputs")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
    for spec in sorted((case / "specs").rglob("*")):
        if spec.name.endswith(SPEC_SUFFIXES):
            dest = outputs / spec.relative_to(case / "specs")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(spec, dest)


def report_counts(text: str) -> dict | None:
    """The counts of the "Totals" of conversion_report.md, the pack's per-file report."""
    def count(pattern: str):
        m = re.search(pattern, text, re.M)
        return tuple(int(g) for g in m.groups()) if m else None

    found = {"pass": count(r"^- \*\*Pass the checks \(on the current output\): (\d+) of (\d+)\*\*$"),
             "parity": count(r"^- Parity \(`--parity`, models\): (\d+) ok of (\d+) run$"),
             "run": count(r"^- Run parity \(`--parity`, `<stem>\.run\.yaml`\): (\d+) ok of (\d+) run$")}
    return None if None in found.values() else found


def grade(case: Path, run_dir: Path) -> list[dict]:
    case, run_dir = case.resolve(), run_dir.resolve()
    results = []

    def record(name: str, passed: bool, explanation: str) -> None:
        results.append({"name": name, "passed": bool(passed), "explanation": explanation})

    pristine, seen = project_files(case / "project"), project_files(run_dir)
    changed = sorted(rel for rel, digest in pristine.items() if seen.get(rel) != digest)
    record("input-untouched", not changed, f"changed or removed: {', '.join(changed)}" if changed
           else f"{len(pristine)} project files as the scaffold wrote them")

    specs = sorted(p.relative_to(case / "specs").as_posix() for p in (case / "specs").rglob("*")
                   if p.name.endswith(SPEC_SUFFIXES))
    with tempfile.TemporaryDirectory(prefix="torch2ms-grade-") as tmp:
        workspace = Path(tmp)
        stage(case, run_dir, workspace)
        scan = torch2ms(workspace, "scan", ".")
        if scan.returncode != 0:
            raise RuntimeError(f"torch2ms scan failed: {scan.stderr.strip()}")
        listed = [f["path"] for f in json.loads((workspace / ".torch2ms" / "scan.json").read_text())["files"]]
        missing = [rel for rel in listed if not (workspace / "outputs" / rel).is_file()]
        record("outputs-complete", listed and not missing, f"no output for: {', '.join(missing)}" if missing
               else f"{len(listed)} of {len(listed)} files have an output")

        check = torch2ms(workspace, "check", "--import", "--parity", "--timeout", "900", "--json", "outputs")
        if check.returncode not in (0, 1):
            raise RuntimeError(f"torch2ms check failed: {check.stderr.strip()}")
        files = json.loads(check.stdout)["files"]

        def findings(prefix: str) -> list[str]:
            return [f"{rel}:{f['line']} {f['message']}" for rel, r in files.items() for f in r["findings"]
                    if f["code"].startswith(prefix)]

        torch_left = findings("torch-")
        record("no-torch-left", files and not torch_left, "; ".join(torch_left[:5]) if torch_left
               else f"no torch in {len(files)} outputs")
        todos = findings("todo")
        record("no-open-markers", files and not todos, "; ".join(todos[:5]) if todos else "no TODO(torch2ms) left")
        failing = sorted(rel for rel, r in files.items() if r["verdict"] != "pass")
        record("checks-pass", files and not failing,
               "; ".join(f"{rel}: {files[rel]['summary']}" for rel in failing) if failing
               else f"{len(files)} of {len(files)} outputs pass")
        not_imported = [f"{rel} ({r['import']})" for rel, r in sorted(files.items()) if r["import"] != "ok"]
        record("imports", files and not not_imported, f"not imported: {', '.join(not_imported)}" if not_imported
               else f"{len(files)} outputs import")
        verdicts = {}
        for spec in specs:
            stem, kind = (spec[:-len(".parity.yaml")], "parity") if spec.endswith(".parity.yaml") \
                else (spec[:-len(".run.yaml")], "run")
            result = files.get(stem + ".py")
            verdicts[spec] = result[kind] if result else "no output"
        wrong = {spec: v for spec, v in verdicts.items() if v != "ok"}
        record("parity", specs and not wrong, "; ".join(f"{s}: {v}" for s, v in wrong.items()) if wrong
               else f"{len(specs)} of {len(specs)} specs match the torch original")

        report = torch2ms(workspace, "report")
        path = workspace / "conversion_report.md"
        counts = report_counts(path.read_text()) if report.returncode == 0 and path.is_file() else None
        if counts is None:
            record("report-counts", False, f"no totals in conversion_report.md (exit {report.returncode})")
        else:
            (passing, total), runs = counts["pass"], [counts["parity"], counts["run"]]
            runs_ok, runs_total = sum(ok for ok, _ in runs), sum(n for _, n in runs)
            full = total == len(listed) and passing == total and runs_total == len(specs) and runs_ok == runs_total
            record("report-counts", full, f"{passing} of {total} files pass the checks; {runs_ok} of "
                   f"{runs_total} parity runs ok (the case has {len(specs)} specs)")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="grade.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("case", type=Path, help="a case folder of this suite")
    parser.add_argument("run_dir", type=Path, help="the run's working folder")
    parser.add_argument("--json", action="store_true", help="print the graders as JSON")
    args = parser.parse_args(argv)
    if not (args.case / "project").is_dir() or not (args.case / "specs").is_dir():
        print(f"grade.py: {args.case} is not a case of this suite (no project/ and specs/)", file=sys.stderr)
        return 2
    if not args.run_dir.is_dir():
        print(f"grade.py: no such folder: {args.run_dir}", file=sys.stderr)
        return 2
    try:
        results = grade(args.case, args.run_dir)
    except (RuntimeError, OSError, ValueError) as exc:
        print(f"grade.py: {exc}", file=sys.stderr)
        return 2
    passed = sum(r["passed"] for r in results)
    if args.json:
        print(json.dumps({"case": args.case.name, "score": passed / len(results), "graders": results}, indent=2))
    else:
        for r in results:
            print(f"{'PASS' if r['passed'] else 'FAIL'} {r['name']}: {r['explanation']}")
        print(f"score {passed}/{len(results)}")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
