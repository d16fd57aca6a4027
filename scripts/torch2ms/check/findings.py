"""What a check says about one file: findings with a line and a code, and the verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# Codes, in the order a reader wants them: first what stops the file from running at all.
CODES = ("syntax", "check-limit", "undefined-name", "torch-import", "torch-name", "torch-idiom", "api-missing",
         "api-signature", "todo", "import", "parity", "run")


@dataclass(frozen=True, order=True)
class Finding:
    line: int
    code: str
    message: str

    def render(self, path: str) -> str:
        return f"{path}:{self.line}: [{self.code}] {self.message}"


@dataclass
class FileResult:
    """The check of one file. `path` is how it is shown (relative to outputs/ when it is there)."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    todos: int = 0
    lines: int = 0
    sha256: str = ""
    # None: not run; import: "ok" / "ok (definitions only)" / "failed" / "timeout"; parity (the
    # module spec) and run (the script run spec): "ok" / "failed" / "timeout" / "spec error" /
    # "torch side unavailable" (the torch original cannot be imported here: see notes),
    # "torch run failed" (run: the torch script fails at run time with the spec's arguments), and
    # parity "no spec"
    import_result: str | None = None
    parity_result: str | None = None
    run_result: str | None = None
    notes: list[str] = field(default_factory=list)  # what a verdict leaves out (no finding)

    @property
    def verdict(self) -> str:
        return "pass" if not self.findings else "fail"

    def summary(self) -> str:
        """One line for the tracker's check column, e.g. `fail: 2 torch-idiom, 1 todo` or
        `fail: 1 run; import ok, parity ok, run spec error`: the runtime results that ran follow
        the counts, so a failing run spec does not hide that the models matched."""
        extra = [f"import {self.import_result}"] if self.import_result else []
        extra += [f"parity {self.parity_result}"] if self.parity_result else []
        extra += [f"run {self.run_result}"] if self.run_result else []
        if not self.findings:
            return ", ".join(["pass"] + extra)
        counts: dict[str, int] = {}
        for f in self.findings:
            counts[f.code] = counts.get(f.code, 0) + 1
        return "fail: " + ", ".join(f"{n} {code}" for code, n in sorted(
            counts.items(), key=lambda kv: CODES.index(kv[0]) if kv[0] in CODES else len(CODES))) + (
            "; " + ", ".join(extra) if extra else "")

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "summary": self.summary(),
            "findings": [asdict(f) for f in sorted(set(self.findings))],
            "todos": self.todos,
            "lines": self.lines,
            "sha256": self.sha256,
            "import": self.import_result,
            "parity": self.parity_result,
            "run": self.run_result,
            "notes": list(self.notes),
        }
