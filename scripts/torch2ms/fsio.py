"""Writing the files a user sees, and reading Python sources the way Python reads them.

    write_atomic(path, "text")           # or bytes: temp file beside it, fsync, rename, mode kept
    src = read_source(path)              # Source: .text (newlines as "\\n"), .encoding, .newline
    path.write_bytes(src.encode(new))    # the same encoding (PEP 263), BOM and line endings
    file_sha256(path)                    # what check results and `torch2ms done` compare
    unreadable(path)                     # "a FIFO, not a regular file", ... or None

Every writer of an output, the tracker, a report or a state file goes through `write_atomic`:
a failure (a full disk, a read-only folder, a kill) leaves the previous file whole, never a
truncated one, and no temporary file behind (except after a kill, as `.<name>.*.tmp`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import stat
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path

TEMP_SUFFIX = ".tmp"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(path: Path, mode: int | None) -> int:
    if mode is not None:
        return readable(mode)
    try:
        st = os.stat(path)
    except OSError:
        return 0o666 & ~_umask()
    return stat.S_IMODE(st.st_mode) if stat.S_ISREG(st.st_mode) else 0o666 & ~_umask()


def readable(mode: int) -> int:
    """`mode` with the owner's read and write bits: a file written from an input with no
    permissions (chmod 000) is still one its owner can open."""
    return mode | stat.S_IRUSR | stat.S_IWUSR


def make_folders(folder: str | os.PathLike) -> None:
    """`mkdir -p folder`, without recursion (os.makedirs and Path.mkdir recurse once per
    missing level, which fails on a tree a thousand folders deep)."""
    folder = os.path.abspath(folder)
    missing = []
    while not os.path.isdir(folder):
        missing.append(folder)
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    for path in reversed(missing):
        try:
            os.mkdir(path)
        except FileExistsError:
            if not os.path.isdir(path):
                raise


def walk(top: str | os.PathLike):
    """os.walk(top) (top-down, `dirs` may be pruned in place, symlinked folders listed but not
    entered, unreadable folders skipped), without recursion: Python 3.11's os.walk and
    Path.rglob recurse once per level and fail on a tree a thousand folders deep."""
    stack = [os.fspath(top)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        dirs, names = [], []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            (dirs if is_dir else names).append(entry.name)
        yield folder, dirs, names
        for name in reversed(dirs):
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                stack.append(path)


def py_files(top: Path) -> list[Path]:
    """The .py files below `top`, outside hidden folders and __pycache__, sorted."""
    found = []
    for folder, dirs, names in walk(top):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        found += [Path(folder) / n for n in names if n.endswith(".py") and not n.startswith(".")]
    return sorted(found)


def write_atomic(path: str | os.PathLike, data: str | bytes, *, encoding: str = "utf-8",
                 mode: int | None = None) -> None:
    """Replace `path` with `data` in one step: a temporary file in the same folder is written,
    flushed to disk and renamed over it. The file keeps its permission bits (a new file gets
    the umask's, or `mode` with the owner's read and write bits). On any error the temporary file is removed and the previous file
    is left as it was; the error is raised as an OSError naming `path`."""
    path = Path(path)
    payload = data.encode(encoding) if isinstance(data, str) else bytes(data)
    file_mode = _mode_for(path, mode)
    try:
        _replace(path, payload, file_mode)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
    _sync_folder(path.parent)


def _replace(path: Path, payload: bytes, file_mode: int) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        try:
            os.fchmod(fd, file_mode)
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every system can open a folder)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def unreadable(path: str | os.PathLike) -> str | None:
    """Why `path` cannot be read as a file without blocking or failing (None: it can), e.g.
    "a FIFO, not a regular file" or "a symlink loop"."""
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop"
        if os.path.islink(path):
            return "a broken symlink"
        return exc.strerror or str(exc)
    if stat.S_ISREG(st.st_mode):
        return None
    for test, kind in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")):
        if test(st.st_mode):
            return f"{kind}, not a regular file"
    return "not a regular file"


def file_sha256(path: str | os.PathLike) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class Source:
    """A Python file's text and how it was stored."""

    text: str              # decoded, every line ending as "\n"
    encoding: str          # as tokenize.detect_encoding names it ("utf-8-sig" when a BOM starts it)
    newline: str           # "\r\n" when every line of the file ended so, else "\n"
    raw: bytes

    def encode(self, text: str) -> bytes:
        """`text` (lines ending in "\\n") as the file stored its own: encoding, BOM, line endings.
        UnicodeEncodeError when `text` holds a character the file's encoding cannot hold."""
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        return text.encode(self.encoding)


class SourceError(ValueError):
    """A file that is not Python source text: its encoding declaration or its bytes are wrong."""


def decode_source(raw: bytes) -> Source:
    """Decode per PEP 263: a UTF-8 BOM, else a `# -*- coding: NAME -*-` line, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        message = str(getattr(exc, "msg", exc))
        if message.startswith("invalid or missing encoding declaration"):
            message = "not UTF-8 text, and no coding line (PEP 263) says what it is"
        raise SourceError(message) from None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        shown = "UTF-8" if encoding in ("utf-8", "utf-8-sig") else encoding
        raise SourceError(f"not {shown} text (byte {exc.start}: {exc.reason})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    crlf = text.count("\r\n")
    newline = "\r\n" if crlf and crlf == text.count("\n") else "\n"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Source(text=text, encoding=encoding, newline=newline, raw=raw)


def read_source(path: str | os.PathLike) -> Source:
    """A Python file's source (OSError when it cannot be read, SourceError when not text)."""
    return decode_source(Path(path).read_bytes())
