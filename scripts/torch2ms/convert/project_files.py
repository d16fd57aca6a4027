"""The rest of the project that `outputs/` needs to run: torch-free modules and data files.

When `torch2ms convert` writes into a workspace whose tracker names the input folder, it also
copies, never over an existing file: the input's Python files without torch (the scan's
`other_files` in `.torch2ms/scan.json`) and the project's non-Python files (data, configs).
Folders the scan skips, the workspace itself and files over MAX_BYTES are left out; what was
left out for its size is reported. Each copy is atomic and lands inside the output folder only:
a symlink in it pointing elsewhere is refused (reported with the copy errors), never followed.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 10 * 1024 * 1024
# sources are converted (or listed by the scan as other_files), never copied blindly
_SOURCE_SUFFIXES = (".py", ".ipynb", ".pyc", ".pyo")


@dataclass
class Copied:
    copied: list[str] = field(default_factory=list)     # posix paths relative to the input
    too_large: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _skip_dirs() -> frozenset:
    try:
        from ..scan.walk import SKIP_DIRS
    except ImportError:  # the scan ships separately in some checkouts
        return frozenset({".git", "__pycache__", ".venv", "venv", ".torch2ms", "node_modules"})
    return SKIP_DIRS


def torch_free_sources(state_dir: Path) -> list[str]:
    """The scan's Python files without torch, relative to the input folder."""
    try:
        data = json.loads((state_dir / "scan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [p for p in data.get("other_files", []) if isinstance(p, str)]


def data_files(input_dir: Path, exclude: list[Path]) -> list[str]:
    """Non-Python files of the project, relative to the input folder, in a stable order;
    `exclude` holds folders and files (the workspace's own) never to copy."""
    skip = _skip_dirs()
    excluded = {os.path.realpath(p) for p in exclude}
    found = []
    from ..fsio import walk

    for root, dirs, names in walk(input_dir):
        dirs[:] = sorted(
            d for d in dirs if d not in skip and os.path.realpath(os.path.join(root, d)) not in excluded
            and not os.path.exists(os.path.join(root, d, "pyvenv.cfg")))
        rel_root = Path(root).relative_to(input_dir)
        found += [(rel_root / n).as_posix() for n in sorted(names) if not n.endswith(_SOURCE_SUFFIXES)
                  and os.path.realpath(os.path.join(root, n)) not in excluded]
    return found


def listed_files(state_dir: Path) -> set[str]:
    """The files the scan lists for conversion (configs and requirement files among them):
    `torch2ms convert` writes their outputs, they are never copied as they are."""
    try:
        data = json.loads((state_dir / "scan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {f["path"] for f in data.get("files", []) if isinstance(f, dict) and isinstance(f.get("path"), str)}


def copy_project_files(input_dir: Path, out_dir: Path, state_dir: Path,
                       exclude: list[Path]) -> Copied:
    from ..fsio import make_folders, readable, write_atomic
    from ..workspace import WorkspaceError, destination

    result = Copied()
    listed = listed_files(state_dir)
    for rel in torch_free_sources(state_dir) + [r for r in data_files(input_dir, exclude) if r not in listed]:
        src = input_dir / rel
        if os.path.lexists(out_dir / rel) or not src.is_file():
            continue
        try:
            dst = destination(out_dir, rel)
            if os.path.lexists(dst):
                continue
            st = src.stat()
            if st.st_size > MAX_BYTES:
                result.too_large.append(rel)
                continue
            make_folders(dst.parent)
            write_atomic(dst, src.read_bytes(), mode=stat.S_IMODE(st.st_mode))
            shutil.copystat(src, dst)
            os.chmod(dst, readable(stat.S_IMODE(st.st_mode)))
        except WorkspaceError as exc:
            result.errors.append(f"{rel}: {exc}")
            continue
        except OSError as exc:
            result.errors.append(f"{rel}: {exc.strerror or exc}")
            continue
        result.copied.append(rel)
    return result
