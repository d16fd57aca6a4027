"""files_to_convert.md: the conversion tracker, read and written as markdown a person can read.

Layout (everything is generated; it changes only through the helpers, never by hand)::

    # Files to convert

    Input folder: `/abs/path/of/the/project`
    Outputs: `outputs/` next to this file, each file at the same relative path
    Without torch-ecosystem code (not listed): 1 file: `textutil.py`

    ## Files

    - [ ] `model.py` · Modeling · torch · status: torch · check: pass
      - evidence: defines 3 nn.Module subclasses (GPT, Block, MLP)
      - imports: `textutil.py`
      - warning: ...

    ## Edits

    ### `model.py`
    - nn.Module -> nn.Cell

API (the contract other helpers build on)::

    from torch2ms.tracker import Tracker, TrackerError
    t = Tracker.load(path)          # TrackerError when missing or not a tracker
    t.input_dir                     # Path of the scanned folder (from the header)
    t.entries                       # list[Entry], sorted by path
    t.entry("model.py")             # Entry (TrackerError if not listed)
    t.mark_done("model.py")
    t.add_edits("model.py", ["renamed forward -> construct"])
    t.set_check("model.py", "pass")
    t.set_blocked("model.py", "needs the user's dataset")   # None unblocks; `next` skips it
    t.next_entry()                  # next unticked, unblocked queued Entry in dependency order, or None
    t.next_group                    # after next_entry(): the files converted together with it (a cycle)
    t.order_notes                   # after next_entry(): the note on that group, if any
    t.queue()                       # (all unticked queued entries in order, notes on cycles)
    t.edits                         # {path: [markdown lines of its Edits subsection]}
    t.other_files, t.other_files_total   # files without torch-ecosystem code (first 20 shown)
    t.save()                        # atomic (torch2ms.fsio.write_atomic)

Entry fields: path (posix, relative to the input folder), category, libraries, status, evidence,
done, vanished, check (latest `torch2ms check` verdict or None), blocked (why the file cannot
pass yet, or None), imports_local (project files it imports), warnings, extra (lines a person
added under the entry, kept verbatim; `notes` are its sub-bullets); `e.queued` is True for the
statuses that are converted (torch, partial, in-outputs, unparseable) unless the file vanished.

    with Tracker.locked(path) as t:  # load, change, save under a file lock
        t.mark_done("model.py")

Every writer holds that lock from its read to its write (`torch2ms scan` takes it once its scan
is done, and merges into the tracker as it is then). The reader is strict where a mistake would
lose records: a tracker without exactly one `## Files` and one `## Edits` heading (a typo such as
`## Edits:` or `##files`), or with an entry line it cannot read, is refused with the line named,
and never rewritten. Lines it does not know (a paragraph, a one-space bullet, a section of its
own) are kept where they were. A file name holding a line break of any kind cannot be listed.
A key (an entry or an Edits subsection) that is absolute, climbs out with `..`, or is there a
second time is refused too, so no save can multiply records: on every tracker it accepts,
render() of parse() of render() is render(). A tracker that is a symlink is never replaced.

`torch2ms scan` builds and re-merges the tracker through `merge_scan`: ticks, edit records and
check verdicts survive a re-scan; files that disappeared are kept and marked `vanished`.
"""

from __future__ import annotations

import contextlib
import heapq
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

# Statuses a file can have. The queued ones are converted, the others are only listed.
QUEUED_STATUSES = ("torch", "partial", "in-outputs", "unparseable")
LISTED_STATUSES = ("mindspore", "notebook")
STATUSES = QUEUED_STATUSES + LISTED_STATUSES
CATEGORIES = ("Modeling", "Data", "Training", "Inference", "Utility", "Config")

HEADER_TITLE = "# Files to convert"
FILES_HEADING = "## Files"
EDITS_HEADING = "## Edits"
SEP = " · "
NONE_MARK = "—"
SHOWN_OTHER_FILES = 20

_ENTRY_RE = re.compile(r"^- \[(?P<tick>[ xX])\] `(?P<path>[^`]+)`(?P<rest>.*)$")
_SUB_RE = re.compile(r"^\s{2,}- (?P<text>.*)$")
_EDIT_HEADING_RE = re.compile(r"^### `(?P<path>[^`]+)`\s*$")
_INPUT_RE = re.compile(r"^Input folder: `(?P<dir>.+)`\s*$")
_OTHER_RE = re.compile(r"^Without torch-ecosystem code \(not listed\): (?P<n>\d+) files?(?P<rest>.*)$")


# every character str.splitlines() breaks a line at
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_COMMENT_START = "<!-- Kept up to date by"
_LOOKS_LIKE_ENTRY = re.compile(r"^\s*[-*+]\s*\[.?\]")


class TrackerError(Exception):
    """A tracker that cannot be read, or a file the tracker does not list."""


def unlistable(name: str) -> str | None:
    """Why `name` cannot be a tracker key (None when it can): the entry line must hold it whole."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "not UTF-8"
    if "`" in name:
        return "a backtick"
    if any(ch in LINE_BREAKS for ch in name):
        return "a line break"
    return None


def escaped(text: str) -> str:
    """`text` with the bytes that were not UTF-8 (lone surrogates, as the OS hands them to Python)
    written as `\\xNN`: what the tracker and the reports write is always UTF-8."""
    text = str(text)
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return "".join(ch if not "\ud800" <= ch <= "\udfff"
                   else f"\\x{ord(ch) - 0xdc00:02x}" if "\udc80" <= ch <= "\udcff" else f"\\u{ord(ch):04x}"
                   for ch in text)


def one_line(text: str) -> str:
    """`text` with every line-breaking character made a space (and bytes not UTF-8 escaped)."""
    return "".join(" " if ch in LINE_BREAKS else ch for ch in escaped(text))


@dataclass
class Entry:
    """One listed file. `path` is posix, relative to the input folder."""

    path: str
    category: str
    libraries: list[str] = field(default_factory=list)
    status: str = "torch"
    evidence: list[str] = field(default_factory=list)
    done: bool = False
    vanished: bool = False
    check: str | None = None
    imports_local: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Lines a person added under the entry (sub-bullets, text): kept verbatim, in their order.
    extra: list[str] = field(default_factory=list)
    blocked: str | None = None

    @property
    def notes(self) -> list[str]:
        """The sub-bullets a person added under the entry."""
        return [m.group("text") for m in map(_SUB_RE.match, self.extra) if m]

    @property
    def queued(self) -> bool:
        """True when this file is to be converted (whether or not it is done already)."""
        return self.status in QUEUED_STATUSES and not self.vanished

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "category": self.category,
            "libraries": list(self.libraries),
            "status": self.status,
            "queued": self.queued,
            "evidence": list(self.evidence),
            "done": self.done,
            "vanished": self.vanished,
            "check": self.check,
            "blocked": self.blocked,
            "imports_local": list(self.imports_local),
            "warnings": list(self.warnings),
        }


def _clean(text: str) -> str:
    """One-line text that cannot break the entry line's structure."""
    return " ".join(escaped(text).split()).replace("·", ",").replace("`", "'")


class Tracker:
    def __init__(self, path: str | os.PathLike, input_dir: str | os.PathLike):
        self.path = Path(path)
        self.input_dir = Path(input_dir)
        self.entries: list[Entry] = []
        # path -> the lines of its Edits subsection (markdown, kept verbatim)
        self.edits: dict[str, list[str]] = {}
        # files of the input folder without torch-ecosystem code (shown in the header)
        self.other_files: list[str] = []
        self.other_files_total = 0
        # notes from the last next_entry() call (e.g. an import cycle that was broken)
        self.order_notes: list[str] = []
        # after queue(): the groups of files that import each other; after next_entry(): its group
        self.groups: list[list[str]] = []
        self.next_group: list[str] = []
        # lines a person added, kept where they were: in the header, at the top of the Files
        # and Edits sections, and whole sections of their own (by position among the sections)
        self.header_extra: list[str] = []
        self.files_extra: list[str] = []
        self.edits_extra: list[str] = []
        self.layout: list = [FILES_HEADING, EDITS_HEADING]

    # ---------------------------------------------------------------- reading
    @classmethod
    def load(cls, path: str | os.PathLike) -> "Tracker":
        path = Path(path)
        try:
            if path.exists() and not path.is_dir() and not path.is_file():  # a FIFO would block the read
                raise TrackerError(f"{path} is not a regular file (a FIFO, socket or device): not a tracker")
            text = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            raise TrackerError(f"no tracker at {path}: run `torch2ms scan <input_dir>` first") from None
        except IsADirectoryError:
            raise TrackerError(f"{path} is a folder, not a tracker") from None
        except UnicodeDecodeError as exc:
            raise TrackerError(f"cannot read the tracker {path}: not UTF-8 text (byte {exc.start})") from None
        except OSError as exc:
            raise TrackerError(f"cannot read the tracker {path}: {exc.strerror or exc}") from None
        return cls.parse(text, path)

    @classmethod
    def parse(cls, text: str, path: str | os.PathLike) -> "Tracker":
        # lines end at "\n" only: a stray \f or U+2028 inside a line must not split it
        lines = [line[:-1] if line.endswith("\r") else line for line in text.lstrip("\ufeff").split("\n")]
        if lines and lines[-1] == "":
            lines.pop()
        if not lines or lines[0].strip() != HEADER_TITLE:
            raise TrackerError(f"{path} is not a torch2ms tracker (its first line is not '{HEADER_TITLE}')")
        cls._check_headings(lines, path)
        input_dir = None
        for line in lines:
            m = _INPUT_RE.match(line)
            if m:
                input_dir = m.group("dir")
                break
            if line.startswith("## "):
                break
        if input_dir is None:
            raise TrackerError(f"{path}: the header has no 'Input folder:' line")
        tracker = cls(path, input_dir)
        tracker.layout = []
        section = None
        current: Entry | None = None
        edit_path: str | None = None
        raw: list[str] | None = None  # a section of the user's own
        entry_lines: dict[str, int] = {}  # key -> the line listing it (a second one is refused)
        edit_lines: dict[str, int] = {}
        for number, line in enumerate(lines[1:], start=2):
            if line.startswith("## "):
                section, current, edit_path = line.strip(), None, None
                if section in (FILES_HEADING, EDITS_HEADING):
                    tracker.layout.append(section)
                    raw = None
                else:
                    raw = [line]
                    tracker.layout.append(raw)
                continue
            if raw is not None:
                raw.append(line)
            elif section is None:
                m = _OTHER_RE.match(line)
                if m:
                    tracker.other_files_total = int(m.group("n"))
                    tracker.other_files = re.findall(r"`([^`]+)`", m.group("rest"))
                elif not _generated_header_line(line):
                    tracker.header_extra.append(line)
            elif section == FILES_HEADING:
                m = _ENTRY_RE.match(line)
                if m:
                    current = cls._parse_entry(m, path, number)
                    _check_key(current.path, path, number, entry_lines)
                    tracker.entries.append(current)
                    continue
                if _LOOKS_LIKE_ENTRY.match(line):
                    raise TrackerError(f"{path} line {number}: cannot read this entry line "
                                       f"(expected '- [ ] `file.py` · Category · libraries · status: ...'): "
                                       f"{line.strip()[:80]}")
                m = _SUB_RE.match(line)
                if m and current is not None and cls._parse_sub(current, m.group("text")):
                    continue
                if line.strip() == "_No file with torch-ecosystem code was found._":
                    continue
                (current.extra if current is not None else tracker.files_extra).append(line)
            elif section == EDITS_HEADING:
                m = _EDIT_HEADING_RE.match(line)
                if m:
                    edit_path = m.group("path")
                    _check_key(edit_path, path, number, edit_lines)
                    tracker.edits[edit_path] = []
                elif edit_path is not None:
                    tracker.edits[edit_path].append(line)
                else:
                    tracker.edits_extra.append(line)
        for key, body in tracker.edits.items():
            tracker.edits[key] = _trim_blank(body)
        for e in tracker.entries:
            e.extra = _trim_blank(e.extra)
        tracker.header_extra = _trim_blank(tracker.header_extra)
        tracker.files_extra = _trim_blank(tracker.files_extra)
        tracker.edits_extra = _trim_blank(tracker.edits_extra)
        for block in tracker.layout:
            if isinstance(block, list):
                while len(block) > 1 and not block[-1].strip():
                    block.pop()
        return tracker

    @staticmethod
    def _check_headings(lines: list[str], path) -> None:
        """Exactly one `## Files` and one `## Edits`: a misspelt or missing heading would have
        the next save drop every entry or edit record below it, so such a tracker is refused."""
        seen: dict[str, int] = {}
        for number, line in enumerate(lines, start=1):
            if not line.lstrip().startswith("#"):
                continue
            word = re.sub(r"[^a-z]", "", line.lower())
            if word not in ("files", "edits"):
                continue
            wanted = FILES_HEADING if word == "files" else EDITS_HEADING
            if line.rstrip() != wanted:
                raise TrackerError(f"{path} line {number}: '{line.strip()}' is not the '{wanted}' heading; "
                                   f"write it exactly '{wanted}' (the tracker is left as it is)")
            if wanted in seen:
                raise TrackerError(f"{path} line {number}: a second '{wanted}' heading (the first is on line "
                                   f"{seen[wanted]}); keep one (the tracker is left as it is)")
            seen[wanted] = number
        for wanted in (FILES_HEADING, EDITS_HEADING):
            if wanted not in seen:
                raise TrackerError(f"{path}: no '{wanted}' heading line; restore it (the tracker is left as it is)")

    @staticmethod
    def _parse_entry(m: re.Match, path, number: int = 0) -> Entry:
        pieces = [p.strip() for p in m.group("rest").split(SEP.strip())]
        pieces = [p for p in pieces if p]
        if len(pieces) < 2:
            raise TrackerError(f"{path} line {number}: cannot read the entry line for `{m.group('path')}`")
        entry = Entry(path=m.group("path"), category=pieces[0], done=m.group("tick") != " ")
        libs = pieces[1]
        entry.libraries = [] if libs == NONE_MARK else [x.strip() for x in libs.split(",") if x.strip()]
        for piece in pieces[2:]:
            key, _, value = piece.partition(": ")
            if key == "status":
                entry.status = value
            elif key == "check":
                entry.check = value
            elif key == "blocked":
                entry.blocked = value
            elif piece == "vanished":
                entry.vanished = True
        return entry

    @staticmethod
    def _parse_sub(entry: Entry, text: str) -> bool:
        """Read a generated sub-bullet into `entry`; False for one a person added."""
        key, _, value = text.partition(": ")
        if key == "evidence":
            entry.evidence.append(value)
        elif key == "imports":
            entry.imports_local.extend(re.findall(r"`([^`]+)`", value))
        elif key == "warning":
            entry.warnings.append(value)
        else:
            return False
        return True

    # ---------------------------------------------------------------- writing
    def render(self) -> str:
        out = [HEADER_TITLE, "", f"Input folder: `{self.input_dir}`",
               "Outputs: `outputs/` next to this file, each file at the same relative path"]
        if self.other_files_total:
            shown = ", ".join(f"`{p}`" for p in self.other_files[:SHOWN_OTHER_FILES])
            more = self.other_files_total - min(len(self.other_files), SHOWN_OTHER_FILES)
            tail = f" and {more} more (see .torch2ms/scan.json)" if more > 0 else ""
            plural = "file" if self.other_files_total == 1 else "files"
            out.append(f"Without torch-ecosystem code (not listed): {self.other_files_total} {plural}: {shown}{tail}")
        out += ["", self.summary(), "",
                f"{_COMMENT_START} `torch2ms scan` (re-run it any time: ticks, edits and check "
                "verdicts are kept), `torch2ms done FILE` (ticks a file whose check passes), "
                "`torch2ms edit FILE -m TEXT` (also `--blocked REASON`) and `torch2ms check`. Do not "
                "edit this file by hand, not even to tick a box: use these helpers. -->"]
        if self.header_extra:
            out += [""] + self.header_extra
        layout = list(self.layout)
        for heading in (FILES_HEADING, EDITS_HEADING):
            if heading not in layout:
                layout.append(heading)
        for block in layout:
            if out[-1]:
                out.append("")
            if block == FILES_HEADING:
                out += self._render_files()
            elif block == EDITS_HEADING:
                out += self._render_edits()
            else:
                out += block
        return "\n".join(out).rstrip("\n") + "\n"

    def _render_files(self) -> list[str]:
        out = [FILES_HEADING, ""]
        if self.files_extra:
            out += self.files_extra + [""]
        for e in self.entries:
            pieces = [f"- [{'x' if e.done else ' '}] `{e.path}`", _clean(e.category),
                      ", ".join(_clean(x) for x in e.libraries) or NONE_MARK, f"status: {_clean(e.status)}"]
            if e.check is not None:
                pieces.append(f"check: {_clean(e.check)}")
            if e.blocked is not None:
                pieces.append(f"blocked: {_clean(e.blocked)}")
            if e.vanished:
                pieces.append("vanished")
            out.append(SEP.join(pieces))
            out += [f"  - evidence: {_clean(x)}" for x in e.evidence]
            if e.imports_local:
                out.append("  - imports: " + ", ".join(f"`{p}`" for p in e.imports_local))
            out += [f"  - warning: {_clean(x)}" for x in e.warnings]
            out += [one_line(x) for x in e.extra]
        if not self.entries:
            out.append("_No file with torch-ecosystem code was found._")
        return out

    def _render_edits(self) -> list[str]:
        out = [EDITS_HEADING, ""]
        if self.edits_extra:
            out += self.edits_extra + [""]
        listed = [e.path for e in self.entries]
        for p in listed + sorted(set(self.edits) - set(listed)):
            out.append(f"### `{p}`")
            out += [one_line(x) for x in self.edits.get(p, [])]
            out.append("")
        return out

    def summary(self) -> str:
        queued = [e for e in self.entries if e.queued]
        done = sum(e.done for e in queued)
        counts = {}
        for e in self.entries:
            if not e.queued and not e.vanished:
                counts[e.status] = counts.get(e.status, 0) + 1
        parts = [f"{len(self.entries)} files listed", f"{len(queued)} to convert ({done} done)"]
        blocked = sum(e.blocked is not None and not e.done for e in queued)
        if blocked:
            parts.append(f"{blocked} blocked")
        if counts.get("mindspore"):
            parts.append(f"{counts['mindspore']} already MindSpore")
        if counts.get("notebook"):
            parts.append(f"{counts['notebook']} notebooks (not converted)")
        vanished = sum(e.vanished for e in self.entries)
        if vanished:
            parts.append(f"{vanished} vanished")
        return "Summary: " + ", ".join(parts) + "."

    def save(self) -> None:
        """Write atomically (torch2ms.fsio.write_atomic): a failure leaves the old tracker whole."""
        from torch2ms.fsio import write_atomic

        for e in self.entries:
            why = unlistable(e.path)
            if why:
                raise TrackerError(f"cannot list {e.path!r} in the tracker: its name holds {why}")
        if self.path.is_symlink():
            raise TrackerError(f"{self.path} is a symlink (to {os.readlink(self.path)}): the tracker is written "
                               "only as a regular file; replace the link with the file it points to")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, self.render())

    @classmethod
    @contextlib.contextmanager
    def locked(cls, path: str | os.PathLike, create: str | os.PathLike | None = None) -> Iterator["Tracker"]:
        """Load under an exclusive file lock, yield, save on a clean exit.

        Helpers that run at the same time (a check hook, an edit record, a scan) then never
        lose each other's update. With `create` (an input folder), a missing tracker is started
        afresh; without it, a missing tracker is an error and nothing is created.
        """
        path = Path(path)
        if create is None and not path.is_file():
            cls.load(path)  # the error that says what is wrong (missing, a folder, ...)
        if path.is_symlink():
            raise TrackerError(f"{path} is a symlink (to {os.readlink(path)}): the tracker is written only as a "
                               "regular file; replace the link with the file it points to")
        lock_dir = path.parent / ".torch2ms"
        lock_dir.mkdir(parents=True, exist_ok=True)
        with open(lock_dir / "tracker.lock", "a") as lock:
            try:
                import fcntl
            except ImportError:  # not POSIX: atomic writes still hold, without the lock
                fcntl = None
            if fcntl is not None:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                if create is not None and not path.exists():
                    tracker = cls(path, create)
                else:
                    tracker = cls.load(path)
                yield tracker
                tracker.save()
            finally:
                if fcntl is not None:
                    fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


    # ---------------------------------------------------------------- lookups and updates
    def normalize(self, path: str | os.PathLike) -> str:
        """The tracker key for `path`: accepts the key itself, a path inside the input folder or
        inside the workspace's outputs/ (absolute or relative to the current directory)."""
        text = str(path).replace("\\", "/")
        keys = {e.path for e in self.entries} | set(self.edits)
        if text in keys:
            return text
        stripped = str(PurePosixPath(text))
        if stripped in keys:
            return stripped
        p = Path(path)
        candidates = [p] if p.is_absolute() else [Path.cwd() / p]
        for cand in candidates:
            cand = Path(os.path.abspath(cand))
            for base in (self.input_dir, self.path.parent / "outputs"):
                base = Path(os.path.abspath(base))
                try:
                    rel = cand.relative_to(base).as_posix()
                except ValueError:
                    continue
                if rel in keys:
                    return rel
        if stripped.startswith("outputs/") and stripped[len("outputs/"):] in keys:
            return stripped[len("outputs/"):]
        return stripped

    def entry(self, path: str | os.PathLike) -> Entry:
        key = self.normalize(path)
        for e in self.entries:
            if e.path == key:
                return e
        raise TrackerError(f"{path} is not listed in {self.path}")

    def mark_done(self, path: str | os.PathLike, done: bool = True) -> Entry:
        """Tick (or untick) a file; a ticked file is no longer blocked (`torch2ms done` refuses a
        blocked one: `--force` ticks it)."""
        e = self.entry(path)
        e.done = done
        if done:
            e.blocked = None
        return e

    def set_blocked(self, path: str | os.PathLike, reason: str | None) -> Entry:
        """Mark a file that cannot pass yet, with the reason (None: unblock). `next` skips it."""
        e = self.entry(path)
        e.blocked = None if reason is None else (_clean(reason) or "no reason given")
        return e

    def blocked(self) -> list[Entry]:
        """The queued files still to convert that are marked blocked."""
        return [e for e in self.entries if e.queued and not e.done and e.blocked is not None]

    def add_edits(self, path: str | os.PathLike, lines: Iterable[str] | str, key: str | None = None) -> Entry | None:
        """Append bullet lines to the file's Edits subsection; what is there stays. `key`: a file
        the tracker does not list (a copied one, a config in outputs/), recorded under that key."""
        e = self.entry(path) if key is None else None
        if isinstance(lines, str):
            lines = lines.splitlines()
        body = self.edits.setdefault(e.path if e is not None else key, [])
        for line in lines:
            line = one_line(line).rstrip()
            if not line.strip():
                continue
            # every line becomes a bullet, so no text can pass for a heading and end the subsection
            if not re.match(r"^\s*[-*] ", line):
                line = "- " + line.strip()
            body.append(line)
        return e

    def set_check(self, path: str | os.PathLike, verdict: str | None) -> Entry:
        e = self.entry(path)
        e.check = None if verdict is None else _clean(verdict)
        return e

    # ---------------------------------------------------------------- order
    def queue(self) -> tuple[list[Entry], list[str]]:
        """All unticked, unblocked queued entries in dependency order, and notes on import cycles.

        A file comes after the project-local modules it imports that are themselves still to
        convert (`imports_local`, which the scan fills with the package `__init__.py` files an
        import runs too). Files that import each other, directly or through a package's
        `__init__.py`, are one group (a strongly connected component of the import graph): they
        come one after the other, and none of them imports until all are converted. Inside a
        group, a file comes after the modules it imports by name (not through its own package's
        `__init__.py`), a remaining cycle broken at its alphabetically first file.
        """
        remaining = {e.path: e for e in self.entries if e.queued and not e.done and e.blocked is None}
        deps = {p: sorted(d for d in e.imports_local if d in remaining and d != p) for p, e in remaining.items()}
        groups = _components(deps)
        group_of = {p: i for i, g in enumerate(groups) for p in g}
        inner = [_order_group(g, deps) for g in groups]
        waiting_on = [len({group_of[d] for p in g for d in deps[p]} - {i}) for i, g in enumerate(groups)]
        dependents: dict = {}
        for i, g in enumerate(groups):
            for d in {group_of[d] for p in g for d in deps[p]} - {i}:
                dependents.setdefault(d, []).append(i)
        ready = [(inner[i][0], i) for i, n in enumerate(waiting_on) if n == 0]
        heapq.heapify(ready)
        order: list[Entry] = []
        notes: list[str] = []
        self.groups = []
        while ready:
            _, i = heapq.heappop(ready)
            order += [remaining[p] for p in inner[i]]
            if len(inner[i]) > 1:
                self.groups.append(inner[i])
                notes.append(f"import cycle: {', '.join(inner[i])} import each other (directly or through a "
                             "package __init__.py): convert them together, in this order, then check them")
            for j in dependents.get(i, ()):
                waiting_on[j] -= 1
                if waiting_on[j] == 0:
                    heapq.heappush(ready, (inner[j][0], j))
        return order, notes

    def next_entry(self) -> Entry | None:
        """The next unticked, queued file in dependency order (None when all are done).

        `self.order_notes` then says whether it belongs to a group of files that import each
        other, and `self.next_group` lists that group (just the file itself when it is alone).
        """
        order, notes = self.queue()
        first = order[0].path if order else None
        group = next((g for g in self.groups if first in g), [first] if first else [])
        self.next_group = group
        self.order_notes = [n for n in notes if len(group) > 1 and n.startswith(f"import cycle: {', '.join(group)} ")]
        return order[0] if order else None

    # ---------------------------------------------------------------- re-scan
    def merge_scan(self, records: Iterable[Entry], other_files: Iterable[str] = (),
                   existing_paths: Iterable[str] = ()) -> None:
        """Bring the tracker in line with a fresh scan.

        Ticks, blocks, notes, edit records and check verdicts are kept. A listed file missing from the
        scan is kept and marked vanished (with a warning when it still exists but no longer has
        torch-ecosystem code); a file that comes back loses the mark.
        """
        old = {e.path: e for e in self.entries}
        new: dict[str, Entry] = {}
        for rec in records:
            prev = old.get(rec.path)
            if prev is not None:
                rec.done, rec.check, rec.extra = prev.done, prev.check, list(prev.extra)
                rec.blocked = prev.blocked
            rec.vanished = False
            new[rec.path] = rec
        still_there = set(existing_paths)
        for path, prev in old.items():
            if path in new:
                continue
            prev.vanished = True
            gone = "still exists but has no torch-ecosystem code now"
            prev.warnings = [w for w in prev.warnings if w != gone]
            if path in still_there:
                prev.warnings.append(gone)
            new[path] = prev
        self.entries = sorted(new.values(), key=lambda e: e.path)
        others = sorted(other_files)
        self.other_files = others[:SHOWN_OTHER_FILES]
        self.other_files_total = len(others)
        for e in self.entries:
            self.edits.setdefault(e.path, [])


def _components(deps: dict[str, list[str]]) -> list[list[str]]:
    """The strongly connected components of the graph `deps` (Tarjan's algorithm, iterative),
    each a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    for root in sorted(deps):
        if root in index:
            continue
        work = [(root, iter(deps[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(deps[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                out.append(sorted(group))
    return out


def _own_package_init(path: str, dep: str) -> bool:
    """`dep` is the `__init__.py` of a package holding `path` (run before `path` imports)."""
    folder = dep[: -len("__init__.py")]
    return dep.endswith("__init__.py") and dep != path and path.startswith(folder)


def _order_group(group: list[str], deps: dict[str, list[str]]) -> list[str]:
    """A group's files: after the ones they import by name, cycles broken alphabetically."""
    if len(group) == 1:
        return group
    members = set(group)
    waiting = {p: {d for d in deps[p] if d in members and not _own_package_init(p, d)} for p in group}
    order: list[str] = []
    while waiting:
        ready = sorted(p for p, ds in waiting.items() if not ds)
        pick = ready[0] if ready else min(waiting)
        order.append(pick)
        del waiting[pick]
        for ds in waiting.values():
            ds.discard(pick)
    return order


def bad_key(key: str) -> str | None:
    """Why `key` cannot name a file of the input folder (None when it can): keys are relative
    posix paths that stay inside the folder."""
    if not key.strip():
        return "it is empty"
    if key.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", key):
        return "it is an absolute path"
    parts = key.replace("\\", "/").split("/")
    if ".." in parts:
        return "it climbs out with '..'"
    if any(part in ("", ".") for part in parts):
        return "it is not a plain relative path"
    return None


def _check_key(key: str, path, number: int, seen: dict[str, int]) -> None:
    """A listed key or an Edits subsection: a path inside the input folder, met once."""
    why = bad_key(key)
    if why:
        raise TrackerError(f"{path} line {number}: `{key}` cannot be a listed file: {why} "
                           "(the tracker is left as it is; re-run `torch2ms scan` after removing it)")
    if key in seen:
        raise TrackerError(f"{path} line {number}: `{key}` is there a second time (first on line {seen[key]}); "
                           "keep one (the tracker is left as it is)")
    seen[key] = number


def _generated_header_line(line: str) -> bool:
    """A header line the tracker writes itself (rewritten on every save)."""
    return (not line.strip() or bool(_INPUT_RE.match(line)) or line.startswith(("Outputs: `outputs/`", "Summary: "))
            or line.startswith(_COMMENT_START))


def _trim_blank(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines
