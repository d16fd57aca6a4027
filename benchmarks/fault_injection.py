"""Kill `torch2ms convert`, `scan`, `check`, `parity-run`, `edit` and `report` with SIGKILL at
random points over a real tree, many times, and check after every kill that nothing of the
user's was lost.

    python benchmarks/fault_injection.py [--kills N] [--folders K] [--seed S] [--keep DIR]

The tree is the first K model folders of the installed transformers `models/` (copied, so the
copy is the input). Between kills the user keeps working: outputs get hand edits, `torch2ms edit`
runs at the same moment as the command being killed, and now and then a command runs to its
end so the state moves on. After each kill:

- the tracker parses (the strict reader), every edit record and tick it held before is still
  there, and every `edit` that reported success is in it;
- every output is either the version it had before the command or the one the command makes
  from it (`convert` of that content), whole; a project file it copied is the source's bytes;
- check.json and scan.json parse;
- nothing outside the workspace changed: the input copy and a folder beside it hash the same
  (the API cache, `$TORCH2MS_CACHE_DIR`, is the only other thing written, and it is set aside);
- the reports, when there are any, are whole (a kill of `report` leaves the old ones or new ones);
- no process the killed command started survives it: `parity-run` runs a script pair whose scripts
  each start a data server in a session of its own (setsid); every process carrying the run's
  mark in its environment must be gone within seconds of the kill.

Temporary files a kill leaves (`.<name>.*.tmp`, never read by the pack) are counted and removed.
The closing line gives the number of kills survived.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = ("convert", "scan", "check", "parity-run", "edit", "report")
# the script pair parity-run compares: each starts a data server that leaves the process group
PAIR = """import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
{framework}
for step in range(3):
    time.sleep(0.5)
    print(step)
"""


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_hashes(root: Path, skip: tuple = ()) -> dict:
    out = {}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if Path(dirpath, d) not in skip]
        for name in files:
            p = Path(dirpath, name)
            out[p.relative_to(root).as_posix()] = "-> " + os.readlink(p) if p.is_symlink() else sha(p.read_bytes())
    return out


class Harness:
    def __init__(self, root: Path, folders: int, seed: int):
        import transformers

        self.rng = random.Random(seed)
        self.root = root
        self.proj, self.ws, self.beside = root / "proj", root / "ws", root / "beside"
        self.cache = root / "api-cache"
        models = Path(transformers.__file__).parent / "models"
        chosen = sorted(p for p in models.iterdir() if p.is_dir() and not p.name.startswith("__"))[:folders]
        for folder in chosen:
            shutil.copytree(folder, self.proj / "models" / folder.name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        (self.proj / "models" / "README.md").write_text("data file copied into outputs/\n")
        (self.proj / "pair_torch.py").write_text(PAIR.format(framework="import torch"))
        (self.proj / "pair_ms.py").write_text(PAIR.format(framework="import numpy"))
        self.mark = f"torch2ms-fault-{os.getpid()}-{seed}"
        self.tmp = root / "tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.beside.mkdir()
        (self.beside / "notes.txt").write_text("a file next to the workspace\n")
        self.env = dict(os.environ, TORCH2MS_CACHE_DIR=str(self.cache), PYTHONDONTWRITEBYTECODE="1",
                        TORCH2MS_FAULT_MARK=self.mark, TMPDIR=str(self.tmp))
        self.outside: dict = {}
        self.expected: dict[str, bytes] = {}  # sha of a starting content -> what convert makes of it
        self.stats = {c: 0 for c in COMMANDS} | {"completed": 0, "temp_files": 0, "edits_during": 0,
                                                 "survivors": 0, "copies_left": 0}
        self.edit_no = 0

    # ------------------------------------------------------------------ running
    def cli(self, *args, wait=True):
        cmd = [sys.executable, "-m", "torch2ms", *map(str, args)]
        if args[0] != "parity-run":  # it finds the workspace from the scripts' folders
            cmd += ["--workspace", str(self.ws)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                env=self.env, start_new_session=True)
        if wait:
            _, err = proc.communicate(timeout=1800)
            if proc.returncode not in (0, 1) or "Traceback" in err:
                raise SystemExit(f"{args[0]} failed ({proc.returncode}): {err[-2000:]}")
        return proc

    def command(self, name):
        if name == "edit":
            self.edit_no += 1
            target = self.rng.choice(sorted(self.tracker_state()[0]))
            return ("edit", target, "-m", f"edit killed or not (number {self.edit_no})")
        return {"convert": ("convert", self.proj, "-j", "2"), "scan": ("scan", self.proj, "--no-cache"),
                "check": ("check", "-q"), "report": ("report",),
                "parity-run": ("parity-run", self.proj / "pair_torch.py", self.proj / "pair_ms.py",
                               "--steps", "1", "--timeout", "60")}[name]

    def timed(self, name) -> float:
        start = time.monotonic()
        if name == "parity-run":  # the pair records no losses: it exits 2, what is timed is its run
            self.cli(*self.command(name), wait=False).wait()
        else:
            self.cli(*self.command(name))
        return time.monotonic() - start

    def marked(self) -> list[int]:
        """Processes (other than this one) whose environment carries this run's mark."""
        found = []
        for name in os.listdir("/proc"):
            if not name.isdigit() or int(name) == os.getpid():
                continue
            try:
                with open(f"/proc/{name}/environ", "rb") as fh:
                    env = fh.read()
                with open(f"/proc/{name}/stat", "rb") as fh:
                    zombie = fh.read().rsplit(b")", 1)[1].split()[0] == b"Z"
            except OSError:
                continue
            if self.mark.encode() in env and not zombie:
                found.append(int(name))
        return found

    # ------------------------------------------------------------------ state
    def _outside(self) -> dict:
        return {"proj": tree_hashes(self.proj), "beside": tree_hashes(self.beside),
                "root": sorted(p.name for p in self.root.iterdir() if p != self.cache)}

    def outputs(self) -> dict:
        out_dir = self.ws / "outputs"
        found = {}
        for p in out_dir.rglob("*") if out_dir.exists() else ():
            if p.is_file() and not p.is_symlink():
                found[p.relative_to(out_dir).as_posix()] = p.read_bytes()
        return found

    def tracker_state(self):
        from torch2ms.tracker import Tracker

        t = Tracker.load(self.ws / "files_to_convert.md")
        return {e.path: e.done for e in t.entries}, {k: list(v) for k, v in t.edits.items()}

    def new_version(self, rel: str, current: bytes | None) -> bytes | None:
        """What `torch2ms convert` writes for outputs/rel when it starts from `current` (the
        source when there is no output yet); None when it writes nothing."""
        from torch2ms.convert.cli import _convert_one

        src = self.proj / rel
        start = current if current is not None else src.read_bytes()
        key = sha(start)
        if key not in self.expected:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / Path(rel).name
                path.write_bytes(start)
                r = _convert_one((str(path), str(path), rel, True))
            self.expected[key] = r.get("data") if not r.get("error") else None
        new = self.expected[key]
        if new is None or (current is not None and new == current):
            return None
        return new

    # ------------------------------------------------------------------ one round
    def hand_edit(self):
        outs = [k for k in self.outputs() if k.endswith(".py")]
        if outs:
            rel = self.rng.choice(outs)
            p = self.ws / "outputs" / rel
            p.write_bytes(p.read_bytes() + f"# hand edit {self.rng.random():.6f}, the user's\n".encode())

    def round(self, name: str, delay: float, with_edit: bool) -> None:
        before_out = self.outputs()
        ticks, edits = self.tracker_state()
        proc = self.cli(*self.command(name), wait=False)
        recorded = None
        if with_edit:
            target = self.rng.choice(sorted(ticks))
            self.edit_no += 1
            text = f"edit made during a {name} (number {self.edit_no})"
            edit = self.cli("edit", target, "-m", text, wait=False)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if name == "parity-run":
            self.check_no_survivor()
        if with_edit:
            edit.wait()
            if edit.returncode == 0:
                recorded = (target, f"- {text}")
                self.stats["edits_during"] += 1
        self.stats[name] += 1
        self.verify(before_out, ticks, edits, recorded, name)

    def check_no_survivor(self) -> None:
        deadline = time.monotonic() + 30  # the sweep is immediate; this only bounds a loaded machine
        while self.marked() and time.monotonic() < deadline:
            time.sleep(0.1)
        left = self.marked()
        if left:
            self.stats["survivors"] += len(left)
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            raise SystemExit(f"after killing parity-run: {len(left)} processes it started still run")
        copies = [p for p in self.tmp.iterdir() if p.name.startswith("torch2ms-parity-run-")]
        self.stats["copies_left"] += len(copies)  # a SIGKILL runs no clean-up: counted, removed
        for p in copies:
            shutil.rmtree(p, ignore_errors=True)

    def verify(self, before_out, ticks, edits, recorded, name) -> None:
        problems = []
        try:
            now_ticks, now_edits = self.tracker_state()
        except Exception as exc:  # noqa: BLE001 - any failure to read is what we look for
            raise SystemExit(f"after killing {name}: the tracker does not parse: {exc}")
        for path, done in ticks.items():
            if done and not now_ticks.get(path):
                problems.append(f"tick of {path} lost")
        for path, body in edits.items():
            if now_edits.get(path, [])[:len(body)] != body:
                problems.append(f"edit records of {path} lost or changed")
        if recorded and recorded[1] not in now_edits.get(recorded[0], []):
            problems.append(f"`edit` said recorded, but {recorded} is not in the tracker")
        after = self.outputs()
        for rel, data in after.items():
            old = before_out.get(rel)
            if data == old:
                continue
            if not rel.endswith(".py"):
                if data != (self.proj / rel).read_bytes():
                    problems.append(f"outputs/{rel}: a copied file that is not the source's bytes")
                continue
            if name != "convert" or data != self.new_version(rel, old):
                problems.append(f"outputs/{rel}: neither its old version nor the new one, whole")
        for rel in before_out:
            if rel not in after:
                problems.append(f"outputs/{rel} disappeared")
        for report, end in (("conversion_report.md", "- Not converted: "), ("report.md", "Details per file: ")):
            path = self.ws / report
            if path.exists():
                lines = path.read_text().splitlines()
                if not lines or not lines[-1].startswith(end):
                    problems.append(f"{report} is not whole")
        for state in ("check.json", "scan.json"):
            path = self.ws / ".torch2ms" / state
            if path.exists():
                try:
                    json.loads(path.read_text())
                except ValueError:
                    problems.append(f".torch2ms/{state} does not parse")
        now = self._outside()
        for part, hashes in self.outside.items():
            if now[part] != hashes:
                changed = sorted(set(now[part]) ^ set(hashes)) if isinstance(hashes, list) else \
                    sorted(k for k in set(now[part]) | set(hashes) if now[part].get(k) != hashes.get(k))
                problems.append(f"outside the workspace, {part} changed: {changed[:5]}")
        temps = [p for p in self.ws.rglob("*.tmp") if p.name.startswith(".")]
        self.stats["temp_files"] += len(temps)
        for p in temps:
            p.unlink()
        if problems:
            raise SystemExit(f"after killing {name}:\n  " + "\n  ".join(problems[:20]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--folders", type=int, default=25, help="model folders of transformers (default 25)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", metavar="DIR", help="work in DIR (kept) instead of a temporary folder")
    args = parser.parse_args()

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="torch2ms-faults-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        h = Harness(root, args.folders, args.seed)
        files = sum(1 for _ in h.proj.rglob("*.py"))
        h.cli("scan", h.proj)
        durations = {name: h.timed(name) for name in ("scan", "convert", "check", "report", "edit", "parity-run")}
        print(f"{files} files from {args.folders} transformers model folders; full runs: "
              + ", ".join(f"{k} {v:.1f} s" for k, v in durations.items()), flush=True)
        for rel in sorted(p for p in h.outputs() if p.endswith(".py"))[:: 3]:  # the user's edits
            p = h.ws / "outputs" / rel
            p.write_bytes(p.read_bytes() + b"# the user's hand edit\n")
        h.outside = h._outside()
        start = time.monotonic()
        for k in range(1, args.kills + 1):
            name = h.rng.choice(COMMANDS)
            if h.rng.random() < 0.3:
                h.hand_edit()
            if name == "convert" and h.rng.random() < 0.3:  # so convert has new files to write again
                outs = [p for p in h.outputs() if p.endswith(".py")]
                for rel in h.rng.sample(outs, min(len(outs), 10)):
                    (h.ws / "outputs" / rel).unlink()
            # half the kills anywhere in a full run, half in its first seconds (start-up, first writes)
            span = durations[name] if h.rng.random() < 0.5 else min(durations[name], 5.0)
            h.round(name, h.rng.uniform(0.05, span), with_edit=h.rng.random() < 0.5)
            if k % 10 == 0:
                h.cli(*h.command(h.rng.choice(("convert", "scan", "check", "report"))))
                h.stats["completed"] += 1
                print(f"{k} kills survived ({time.monotonic() - start:.0f} s)", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    s = h.stats
    print(f"kills survived: {args.kills} of {args.kills} ("
          + ", ".join(f"{c} {s[c]}" for c in COMMANDS)
          + f"); edits made during a killed command and kept: {s['edits_during']}; "
          f"complete runs between: {s['completed']}; temporary files left by kills: {s['temp_files']}; "
          f"processes surviving a killed parity-run: {s['survivors']}; its temporary copies left: {s['copies_left']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
