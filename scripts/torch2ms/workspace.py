"""Where a conversion keeps its state: one folder holding the tracker, outputs and reports.

The default workspace is the current directory, so a user working in the pack's checkout gets
`files_to_convert.md`, `outputs/` and the reports at the top level. `--workspace DIR` (or the
TORCH2MS_WORKSPACE variable) points every command at another one, e.g. the demo's `demo/`.

Nothing is written outside the workspace or onto an input: `destination()` resolves where an
output lands and refuses one that a symlink in outputs/ (or a `..`) would put elsewhere, and
`check_apart()` refuses an input folder that lies inside the output folder (one that holds the
output folder is fine: the output folder is left out of it wholesale).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "TORCH2MS_WORKSPACE"


class WorkspaceError(Exception):
    """A bad place to read from or write to: reported as one line, exit status 2."""


def inside(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """Whether `path` is `folder` or below it, symlinks resolved."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


def destination(out_dir: str | os.PathLike, rel: str) -> Path:
    """Where the output for `rel` (posix, relative) is written: `out_dir/rel` with the symlinks
    on its way resolved. WorkspaceError when that leaves `out_dir` (a symlink in it pointing
    elsewhere, or a `..`): nothing is ever written through such a link."""
    out_dir = Path(out_dir)
    root = Path(os.path.realpath(out_dir))
    target = out_dir / rel
    real = Path(os.path.realpath(target))
    if real.is_relative_to(root) and real != root:
        return real
    step = out_dir
    for part in Path(rel).parts:
        step = step / part
        if step.is_symlink():
            raise WorkspaceError(f"{step} is a symlink to {os.path.realpath(step)}, outside {out_dir}: "
                                 "nothing is written through it")
    raise WorkspaceError(f"{target} lies outside {out_dir}: not written")


def check_apart(input_dir: str | os.PathLike, out_dir: str | os.PathLike) -> None:
    """WorkspaceError when the input folder is the output folder or lies inside it: outputs
    would land on inputs (a sub-package named like the folder maps onto its parent's files)."""
    if inside(input_dir, out_dir):
        raise WorkspaceError(f"the input folder {input_dir} lies inside the output folder {out_dir}: "
                             "outputs could overwrite inputs; move the project out of it or choose "
                             "another --workspace")


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def resolve(cls, given: str | os.PathLike | None = None) -> "Workspace":
        """The workspace at `given` (or $TORCH2MS_WORKSPACE, or here); WorkspaceError when that
        path exists and is not a folder."""
        root = given if given is not None else os.environ.get(ENV_VAR, ".")
        path = Path(root).resolve()
        if path.exists() and not path.is_dir():
            raise WorkspaceError(f"the workspace {root} is not a folder")
        for parent in path.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise WorkspaceError(f"the workspace {root} cannot be made: {parent} is not a folder")
                break
        return cls(path)

    @property
    def tracker(self) -> Path:
        return self.root / "files_to_convert.md"

    @property
    def outputs(self) -> Path:
        return self.root / "outputs"

    @property
    def state_dir(self) -> Path:
        """Machine-readable state (check results, scan data) that the reports are built from."""
        return self.root / ".torch2ms"

    @property
    def check_results(self) -> Path:
        return self.state_dir / "check.json"

    @property
    def conversion_report(self) -> Path:
        return self.root / "conversion_report.md"

    @property
    def report(self) -> Path:
        return self.root / "report.md"
