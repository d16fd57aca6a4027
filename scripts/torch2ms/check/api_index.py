"""An index of the installed MindSpore and mindone APIs: which names exist, and their signatures.

The index is built by importing the installed packages (never the checked file) and is cached as
JSON, keyed by the package versions, in the user cache folder (`$TORCH2MS_CACHE_DIR`, else
`$XDG_CACHE_HOME/torch2ms`, else `~/.cache/torch2ms`). Modules are indexed on first use and added
to the cache, so a check that finds everything cached imports neither mindspore nor mindone and
runs in a fraction of a second.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from importlib import metadata
from pathlib import Path

FORMAT = 1
ROOTS = ("mindspore", "mindone")
# Indexed together on the first build: importing mindspore costs the same for one or all.
PRELOAD = ("mindspore", "mindspore.mint", "mindspore.mint.nn", "mindspore.mint.nn.functional",
           "mindspore.mint.optim", "mindspore.ops", "mindspore.nn", "mindspore.dataset",
           "mindspore.amp", "mindspore.communication")
VERSIONED = ("mindspore", "mindone")
# Signature parameter kinds, as inspect.Parameter.kind values.
POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD, VAR_POSITIONAL, KEYWORD_ONLY, VAR_KEYWORD = range(5)


# the libraries a project may use beside those, and the counterparts the rules convert them to:
# recorded with each check, listed by the report for the projects that use them
ECOSYSTEM_VERSIONS = ("torchvision", "timm", "mindcv", "diffusers", "accelerate", "pytorch-lightning",
                      "lightning", "torchmetrics", "tensorboard", "tiktoken")


def installed_versions(names=("mindspore", "torch", "mindone", "transformers", "numpy")) -> dict:
    """Versions from the installed distributions' metadata (nothing is imported)."""
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def cache_dir() -> Path:
    if os.environ.get("TORCH2MS_CACHE_DIR"):
        return Path(os.environ["TORCH2MS_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "torch2ms"


def cache_path() -> Path:
    v = installed_versions(VERSIONED)
    key = "-".join(f"{k}{v[k] or 'none'}" for k in VERSIONED)
    return cache_dir() / f"api-index-v{FORMAT}-{key}-py{sys.version_info[0]}{sys.version_info[1]}.json"


def _signature(obj) -> list | None:
    import inspect

    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    return [[p.name, int(p.kind), p.default is not inspect.Parameter.empty] for p in sig.parameters.values()]


def _describe(obj, owner: str) -> dict:
    import inspect

    if inspect.ismodule(obj):
        return {"k": "module", "to": obj.__name__}
    if inspect.isclass(obj):
        entry = {"k": "class", "sig": _signature(obj)}
        # Members only for MindSpore's own classes: mindone's ~1,800 model classes would make the
        # cache large for chains (Class.attr) that converted code hardly ever writes.
        if owner.startswith("mindspore"):
            entry["members"] = sorted(n for n in dir(obj) if not n.startswith("__"))
        return entry
    if inspect.isroutine(obj):
        return {"k": "function", "sig": _signature(obj)}
    return {"k": "value", "sig": _signature(obj) if callable(obj) else None}


def index_module(name: str) -> dict:
    """Import `name` (a mindspore/mindone module) and describe its public attributes."""
    import importlib
    import pkgutil

    try:
        with contextlib.redirect_stdout(sys.stderr):  # some packages print on import
            mod = importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - any import failure means "not importable"
        return {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300]}
    names = {}
    for attr in dir(mod):
        if attr.startswith("__"):
            continue
        try:
            obj = getattr(mod, attr)
        except Exception:  # noqa: BLE001 - a lazy attribute that fails to load
            continue
        names[attr] = _describe(obj, name)
    subs = sorted(m.name for m in pkgutil.iter_modules(getattr(mod, "__path__", None) or []))
    return {"names": names, "submodules": subs}


class ApiIndex:
    """Lazily built, cached description of the installed mindspore/mindone modules."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else cache_path()
        self.modules: dict[str, dict] = {}
        self._new: set[str] = set()
        with contextlib.suppress(OSError, ValueError):
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("format") == FORMAT:
                self.modules = data.get("modules", {})

    def module(self, name: str) -> dict:
        if name not in self.modules:
            wanted = [name] + [m for m in PRELOAD if m not in self.modules and name.startswith("mindspore")]
            for m in dict.fromkeys(wanted):
                self.modules[m] = index_module(m)
                self._new.add(m)
        return self.modules[name]

    def save(self) -> None:
        """Merge what was indexed now into the cache file (atomic write)."""
        if not self._new:
            return
        with contextlib.suppress(OSError, ValueError):
            on_disk = json.loads(self.path.read_text(encoding="utf-8"))
            if on_disk.get("format") == FORMAT:
                for k, v in on_disk.get("modules", {}).items():
                    self.modules.setdefault(k, v)
        data = {"format": FORMAT, "versions": installed_versions(VERSIONED), "modules": self.modules}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".api-index.", suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, separators=(",", ":"), sort_keys=True)
            os.replace(tmp, self.path)
        except OSError as exc:  # a read-only cache only costs speed
            print(f"torch2ms check: warning: cannot write the API cache {self.path}: {exc}", file=sys.stderr)
        self._new.clear()

    # ------------------------------------------------------------------ lookups
    def resolve(self, qualname: str) -> tuple[dict | None, str | None]:
        """Walk a dotted name from its root module.

        Returns (entry, None) when every part exists (entry None when the walk stopped at
        something it cannot look into, e.g. a function's attribute), or (None, missing) with the
        first dotted prefix that does not exist.
        """
        parts = qualname.split(".")
        if parts[0] not in ROOTS:
            return None, None
        mod_name = parts[0]
        entry: dict | None = {"k": "module", "to": mod_name}
        for i, part in enumerate(parts[1:], start=1):
            if entry is None:
                return None, None
            kind = entry["k"]
            if kind == "module":
                mod = self.module(entry["to"])
                if "error" in mod:
                    return None, None  # reported as an import problem, not as a missing name
                if part in mod["names"]:
                    entry = mod["names"][part]
                elif part in mod["submodules"]:
                    entry = {"k": "module", "to": f"{entry['to']}.{part}"}
                else:
                    return None, ".".join(parts[: i + 1])
            elif kind == "class" and "members" in entry:
                # dunders (`nn.Cell.__init__`) are not recorded: every class has the common ones
                if part not in entry["members"] and not (part.startswith("__") and part.endswith("__")):
                    return None, ".".join(parts[: i + 1])
                entry = None
            else:
                entry = None
        return entry, None

    def module_exists(self, qualname: str) -> tuple[bool, str | None]:
        """For `import a.b.c`: (True, None) or (False, first missing prefix)."""
        entry, missing = self.resolve(qualname)
        return missing is None, missing
