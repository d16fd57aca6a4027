"""Find the source files of a folder: skip what is not the project's code, warn, go on."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import yaml

_SKIP = yaml.safe_load((Path(__file__).parent / "skip.yaml").read_text(encoding="utf-8"))
SKIP_DIRS = frozenset(_SKIP["dirs"])
SUFFIXES = tuple(_SKIP["suffixes"])
# configs and requirement files (convert/configs.yaml): read when they name the torch stack
CONFIG_ENDINGS = (".yaml", ".yml", ".json", ".toml", ".txt", ".cfg")


def config_kind(rel: str) -> str | None:
    from torch2ms.convert.configs import kind

    return kind(rel)


def _listable(rel: str) -> bool:
    from torch2ms.tracker import unlistable

    return unlistable(rel) is None


def find_sources(root: Path, skip=()) -> tuple:
    """([(absolute path, posix path relative to root)], [warning]) in a stable order.

    Symlinked folders are followed once: a link back to a folder already being walked is a
    loop, reported and not entered. `skip` holds folders (any spelling) never to enter.
    """
    skip_real = {os.path.realpath(p) for p in skip}
    files: list = []
    warnings: list = []
    active: set = set()  # (dev, inode) of the folders on the current path

    # iterative (a stack of open folders, depth first, entries in name order): a tree of any
    # depth is walked without recursion
    stack: list = []

    def enter(folder: str, rel: str) -> None:
        try:
            st = os.stat(folder)
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            warnings.append(f"{rel or '.'}/: cannot list it ({exc.strerror or exc}): skipped")
            return
        key = (st.st_dev, st.st_ino)
        active.add(key)
        stack.append((key, rel, iter(entries)))

    enter(str(root), "")
    while stack:
        key, rel, pending = stack[-1]
        entry = next(pending, None)
        if entry is None:
            stack.pop()
            active.discard(key)
            continue
        name = entry.name
        child_rel = f"{rel}/{name}" if rel else name
        try:
            is_dir = entry.is_dir()
            is_file = not is_dir and entry.is_file()
        except OSError as exc:
            what = "symlink loop" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
            warnings.append(f"{child_rel}: {what}: skipped")
            continue
        if is_dir:
            if name in SKIP_DIRS or os.path.realpath(entry.path) in skip_real:
                continue
            if os.path.exists(os.path.join(entry.path, "pyvenv.cfg")) or \
                    os.path.isdir(os.path.join(entry.path, "conda-meta")):
                continue
            try:
                cst = os.stat(entry.path)
            except OSError as exc:
                warnings.append(f"{child_rel}/: {exc.strerror or exc}: skipped")
                continue
            if (cst.st_dev, cst.st_ino) in active:
                warnings.append(f"{child_rel}/: symlink loop (it leads back to a folder above it): not followed")
                continue
            enter(entry.path, child_rel)
        elif name.endswith(SUFFIXES) or (name.endswith(CONFIG_ENDINGS) and config_kind(child_rel)):
            if not _listable(child_rel):
                warnings.append(f"{child_rel.encode('utf-8', 'backslashreplace').decode()}: a file name "
                                "the tracker cannot hold (not UTF-8, a backtick or a line break): skipped")
            elif is_file:
                files.append((entry.path, child_rel))
            elif entry.is_symlink():
                try:
                    os.stat(entry.path)
                except OSError as exc:
                    what = "symlink loop" if exc.errno == errno.ELOOP else "broken symlink"
                    warnings.append(f"{child_rel}: {what}: skipped")
                else:
                    warnings.append(f"{child_rel}: links to something that is not a regular file: skipped")
            else:
                warnings.append(f"{child_rel}: not a regular file (a FIFO, socket or device): skipped")

    return files, warnings
