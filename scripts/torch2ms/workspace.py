"""Where a conversion keeps its state: one folder holding the tracker, outputs and reports.

The default workspace is the current directory, so a user working in the pack's checkout gets
`files_to_convert.md`, `outputs/` and the reports at the top level. `--workspace DIR` (or the
TORCH2MS_WORKSPACE variable) points every command at another one, e.g. the demo's `demo/`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "TORCH2MS_WORKSPACE"


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def resolve(cls, given: str | os.PathLike | None = None) -> "Workspace":
        root = given if given is not None else os.environ.get(ENV_VAR, ".")
        return cls(Path(root).resolve())

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
