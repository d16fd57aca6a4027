"""The one way project code is imported for verification: `check --import`, `parity`,
`parity-run` and `torch2ms run` all go through here.

Ports (MindSpore code in outputs/) are imported as `python -c "import pkg.model"` imports them
from the outputs root (`outputs/pkg/model.py` is `pkg.model`): that root first on sys.path, the
file's own folder only for a script that imports its siblings by plain name (`from model import
Net` beside `model.py`) and never before the root, so a module cannot shadow its package
(`utils/utils.py` inside `utils`). The input folder is taken off sys.path (the current folder a
command runs from is often the project root holding it), a project module that only it has is
refused (`OutputsOnly`), and a port module that still resolves outside the outputs root is an
ImportError: a torch package never stands in for the port, with or without `__init__.py` files.

Torch originals are imported as the module of the package they belong to (`import_original`):
- a file whose relative imports stay inside the input folder is `pkg.model` below it;
- a file whose relative imports reach above it (a transformers or diffusers modeling file copied
  out of its package: `from ...activations import ACT2FN`) is run as the installed package's
  module of the same path (`transformers.models.gpt_neox.modeling_gpt_neox`), its own folder
  first for its siblings (`from .configuration_gpt_neox import ...` reads the project's file);
- a spec may name that module (`torch: {module: ...}`).
Either way the file's own code runs; what cannot be imported raises `TorchSideError`, whose
message says what to install or change.

Definitions only. A module whose top level does more than import, define and assign values
(a script: it parses its arguments, reads data, trains) is executed statement by statement,
keeping imports, `def`, `class`, assignments whose value calls nothing (or only the harmless
names in `HARMLESS_CALLS`) or calls only what the module imports or defines (`RELU_GAIN =
math.sqrt(2.0)`, `_SH_AVAILABLE = _package_available("sh")`, unless the call's name says it does
work: `WORK_CALLS`), and `if`/`try` blocks made only of those; the rest (its top-level work) is not
run, and `skipped(module)` lists it. A kept assignment that needs a skipped one (`vocab_size =
len(chars)`), or whose call raises there, is skipped too. Modules without top-level work run
unchanged, as a plain import runs them. This applies to the file imported and to the
project-local modules it imports, never to libraries.
"""

from __future__ import annotations

import __future__ as _future
import ast
import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import sys
from pathlib import Path

# Calls an assignment at module level may make and still count as a definition: they build
# values (loggers, paths, type variables, devices) and do no work. Matched on the last name.
HARMLESS_CALLS = frozenset({
    "dict", "list", "tuple", "set", "frozenset", "int", "float", "str", "bool", "bytes", "range", "len",
    "min", "max", "abs", "round", "sorted", "reversed", "zip", "enumerate", "getattr", "hasattr", "isinstance",
    "issubclass", "type", "object", "property", "staticmethod", "classmethod", "repr", "format",
    "namedtuple", "TypeVar", "NewType", "ParamSpec", "NamedTuple", "TypedDict", "field", "partial",
    "getLogger", "get_logger", "compile", "Path", "PurePath", "join", "dirname", "basename", "abspath",
    "realpath", "expanduser", "resolve", "get", "getenv", "device", "is_available", "finfo", "iinfo",
    "version_info", "Enum", "IntEnum", "auto", "require_version", "is_torch_available",
    "is_flash_attn_2_available", "OrderedDict", "defaultdict", "deepcopy", "copy",
})
# Calls whose (last) name says they do work: an assignment calling one is top-level work even when
# the module imported the callee (`text = sys.stdin.read()`, `args = parser.parse_args()`).
WORK_CALLS = frozenset({
    "read", "readline", "readlines", "read_text", "read_bytes", "load", "open", "input", "print", "urlopen",
    "urlretrieve", "download", "parse_args", "parse_known_args", "fit", "train", "run", "main", "system",
    "call", "check_call", "check_output", "Popen", "sleep", "exec", "eval", "write", "write_text", "save",
    "mkdir", "makedirs", "from_pretrained", "load_dataset", "hf_hub_download", "snapshot_download", "connect",
    "init", "init_process_group", "login", "request", "post",
})
# Statements made only of calls to these keep the imports that follow working (sys.path edits).
HARMLESS_STATEMENT_CALLS = frozenset({
    "sys.path.insert", "sys.path.append", "sys.path.extend", "warnings.filterwarnings",
    "warnings.simplefilter", "logging.basicConfig", "logger.setLevel",
})


class TorchSideError(Exception):
    """The torch original cannot be imported or built here (not the port's fault)."""


# --------------------------------------------------------------------- what a module's top level does
def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts)) if parts else ""


def _is_layer(dotted: str) -> bool:
    """`nn.Linear`, `torch.nn.Sequential`, `mint.nn.ReLU`, `mindspore.nn.LeakyReLU`: a layer class,
    whose construction only allocates its parameters (a model a script builds at module level)."""
    head, _, last = dotted.rpartition(".")
    return last[:1].isupper() and (head == "nn" or head.endswith(".nn")) and "functional" not in head


def _calls_only_harmless(node) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return False
        if isinstance(sub, ast.Call):
            dotted = _dotted(sub.func)
            if dotted.rpartition(".")[2] not in HARMLESS_CALLS and not _is_layer(dotted):
                return False
    return True


def _call_root(func):
    """The base of a call's callee: `math` for `math.sqrt`, the inner Call of `Path(x).resolve`."""
    while isinstance(func, ast.Attribute):
        func = func.value
    return func


def _computed(node, callables: frozenset) -> bool:
    """A value computed from imports, constants and the module's own functions: every call is
    harmless, a layer, or made on a name the module imports or defines (`math.sqrt(2.0)`,
    `_package_available("sh")`), and none is named like work (`WORK_CALLS`)."""
    for sub in ast.walk(node):
        if isinstance(sub, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return False
        if isinstance(sub, ast.Call):
            dotted = _dotted(sub.func)
            last = dotted.rpartition(".")[2]
            if last in WORK_CALLS:
                return False
            if last in HARMLESS_CALLS or _is_layer(dotted):
                continue
            root = _call_root(sub.func)
            if isinstance(root, ast.Name):
                if root.id not in callables:
                    return False
            elif not isinstance(root, (ast.Call, ast.Constant)):
                return False
    return True


def callables(tree: ast.Module) -> frozenset:
    """The names a module's top level binds by import, `def` or `class` (in `if`/`try` blocks too)."""
    names = set()
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            names.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names if a.name != "*")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.If):
            todo += node.body + node.orelse
        elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            todo += node.body + node.orelse + node.finalbody + [n for h in node.handlers for n in h.body]
    return frozenset(names)


def _is_main_guard(node) -> bool:
    """`if __name__ == "__main__":` (either way round)."""
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = (test.left, test.comparators[0])
    return (any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides)
            and any(isinstance(x, ast.Constant) and x.value == "__main__" for x in sides))


def is_definition(node, names: frozenset = frozenset()) -> bool:
    """True for a top-level statement that only imports, defines or assigns a value; `names`: what
    the module imports or defines (`callables`), whose calls compute values (`_computed`)."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                         ast.Pass, ast.Global, ast.Nonlocal, ast.Raise)):
        return True  # a top-level raise is the module refusing to load: part of what it defines
    if isinstance(node, ast.Expr):
        if isinstance(node.value, ast.Constant):
            return True
        call = node.value
        return isinstance(call, ast.Call) and _dotted(call.func) in HARMLESS_STATEMENT_CALLS
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        return _calls_only_harmless(node.value) or _computed(node.value, names)
    if isinstance(node, ast.AnnAssign):
        return node.value is None or _calls_only_harmless(node.value) or _computed(node.value, names)
    if isinstance(node, ast.Assert):
        return _calls_only_harmless(node)
    if isinstance(node, ast.If):
        return all(is_definition(n, names) for n in node.body + node.orelse)
    if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
        blocks = node.body + node.orelse + node.finalbody + [n for h in node.handlers for n in h.body]
        return all(is_definition(n, names) for n in blocks)
    return False


def top_level_work(tree: ast.Module) -> list:
    """The top-level statements that are work, not definitions (`if __name__ == "__main__":`
    blocks are neither: they never run on import)."""
    names = callables(tree)
    return [n for n in tree.body
            if not is_definition(n, names) and not (isinstance(n, ast.If) and _is_main_guard(n))]


def relative_level(tree: ast.Module) -> int:
    """The deepest relative import of a module (`from ...x import y` is 3)."""
    return max((n.level or 0 for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)), default=0)


def _parse(path: Path) -> ast.Module:
    return ast.parse(Path(path).read_bytes(), filename=str(path))


# --------------------------------------------------------------------- definitions-only execution
_SKIPPED: dict[str, list[tuple[int, str]]] = {}


def skipped(name: str) -> list[tuple[int, str]]:
    """(line, why) of each top-level statement of module `name` that was not run."""
    return list(_SKIPPED.get(name, []))


def _future_flags(tree: ast.Module) -> int:
    flags = 0
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            for alias in node.names:
                feature = getattr(_future, alias.name, None)
                if feature is not None:
                    flags |= feature.compiler_flag
    return flags


def _describe(node) -> str:
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        return f"call {_dotted(node.value.func) or '...'}()"
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = ", ".join(ast.unparse(t) for t in targets)
        return f"{names} = ..."
    return type(node).__name__.lower()


class DefinitionsLoader(importlib.machinery.SourceFileLoader):
    """Runs a module's definitions; skips its top-level work (see the module docstring)."""

    def exec_module(self, module) -> None:
        path = Path(self.path)
        tree = _parse(path)
        work = top_level_work(tree)
        if not work:
            exec(compile(tree, str(path), "exec", dont_inherit=True), module.__dict__)
            return
        flags = _future_flags(tree)
        skipped_here = _SKIPPED.setdefault(module.__name__, [])
        skipped_here.clear()
        work_ids = {id(n) for n in work}
        for node in tree.body:
            if id(node) in work_ids:
                skipped_here.append((node.lineno, _describe(node)))
                continue
            if isinstance(node, ast.If) and _is_main_guard(node):
                continue
            code = compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec", flags=flags,
                           dont_inherit=True)
            try:
                exec(code, module.__dict__)
            except NameError as exc:
                if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.If, ast.Assert)):
                    skipped_here.append((node.lineno, f"{_describe(node)} (needs {exc.name or exc}, "
                                                      "set by top-level work)"))
                    continue
                raise
            except Exception as exc:  # a value computed by a call, in a script whose work did not run
                value = getattr(node, "value", None)
                if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and value is not None \
                        and not _calls_only_harmless(value):
                    skipped_here.append((node.lineno, f"{_describe(node)} (raised {type(exc).__name__}: "
                                                      f"{str(exc)[:80]}, without the top-level work)"))
                    continue
                raise


class ProjectFinder(importlib.abc.MetaPathFinder):
    """Gives the project's own modules (source files below `roots`) a `DefinitionsLoader`."""

    def __init__(self, roots):
        self.roots = [Path(r).resolve() for r in roots]
        self._ours: dict[str, bool] = {}

    def _is_ours(self, entry: str) -> bool:
        if entry not in self._ours:
            self._ours[entry] = any(within(Path(entry or "."), root) for root in self.roots)
        return self._ours[entry]

    def find_spec(self, name, path=None, target=None):
        # only the search path entries below the roots: a library import costs a dict lookup
        search = [e for e in (sys.path if path is None else path) if isinstance(e, str) and self._is_ours(e)]
        if not search:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, search)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return None  # not ours: the finders after this one decide (torch_env's among them)
        if not any(within(Path(spec.origin), root) for root in self.roots):
            return None
        spec.loader = DefinitionsLoader(name, spec.origin)
        return spec


def within(path: Path, folder: Path) -> bool:
    """True when `path` is `folder` or below it (both resolved)."""
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


@contextlib.contextmanager
def project_imports(paths: list, roots: list, guard=None):
    """sys.path with `paths` first and the project finder (and an optional guard) installed;
    everything restored afterwards."""
    saved = sys.path[:]
    finder = ProjectFinder(roots)
    sys.path[:0] = [str(p) for p in paths]
    sys.meta_path.insert(0, finder)
    if guard is not None:
        sys.meta_path.insert(0, guard)
    importlib.invalidate_caches()
    try:
        yield
    finally:
        for hook in (finder, guard):
            if hook is not None and hook in sys.meta_path:
                sys.meta_path.remove(hook)
        sys.path[:] = saved


def forget_modules(roots: list, keep: tuple = (), spare: Path | None = None) -> None:
    """Drop from sys.modules the modules loaded from below `roots` (a torch original's siblings),
    so the port's modules of the same names are imported from outputs/ (`spare`: a folder below
    the roots whose modules stay). The module objects live on in whatever holds them."""
    roots = [Path(r).resolve() for r in roots]
    for name, mod in list(sys.modules.items()):
        if name in keep:
            continue
        try:
            # a namespace package's __path__ is recomputed when read, from its parent in
            # sys.modules, which may be gone already (KeyError)
            where = getattr(mod, "__file__", None)
            paths = [where] if where else list(getattr(mod, "__path__", []) or [])
            if paths and all(any(within(Path(p).resolve(), r) for r in roots)
                             and not (spare is not None and within(Path(p).resolve(), spare)) for p in paths):
                del sys.modules[name]
        except (OSError, TypeError, ValueError, KeyError, AttributeError):
            continue


def _execute(spec):
    """The module of `spec`, registered in sys.modules and executed (unregistered if it fails)."""
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(spec.name, None)
        raise
    return module


def _load_as(name: str, path: Path, overlay: Path | None = None):
    """Execute the file at `path` as module `name` (parents imported first; `overlay` put first
    on the parent package's __path__ so that the file's siblings come from its own folder)."""
    parent = name.rpartition(".")[0]
    if parent:
        package = importlib.import_module(parent)
        if overlay is not None and hasattr(package, "__path__") and str(overlay) not in list(package.__path__):
            package.__path__.insert(0, str(overlay))
    module = _execute(importlib.util.spec_from_file_location(name, path, loader=DefinitionsLoader(name, str(path))))
    if parent:
        setattr(sys.modules[parent], name.rpartition(".")[2], module)
    return module


# --------------------------------------------------------------------- module names and roots
def package_anchor(path: Path) -> Path:
    """The folder above the top-most package (`__init__.py` chain) holding `path`."""
    folder = path.resolve().parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder


def module_name(path: Path, root: Path) -> tuple[str, Path]:
    """The dotted module name of `path` below `root` (or its stem when outside), and the root used."""
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        return path.stem, path.resolve().parent
    parts = rel.with_suffix("").parts
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or path.stem, root


def _installed_packages() -> list[str]:
    """Installed torch-ecosystem packages (ecosystem.yaml's list) a copied package file may belong to."""
    from torch2ms.scan.config import ScanConfig

    found = []
    for name in ScanConfig.load().torch:
        top = name.split(".")[0]
        if top not in found and importlib.util.find_spec(top) is not None:
            found.append(top)
    return found


def installed_module_for(path: Path, level: int) -> str | None:
    """The installed package module that `path` is a copy of: the same file name below a folder of
    the same name, deep enough for its relative imports (`level`)."""
    path = path.resolve()
    hits = []
    for top in _installed_packages():
        spec = importlib.util.find_spec(top)
        for base in spec.submodule_search_locations or []:
            base = Path(base)
            for candidate in base.rglob(path.name):
                rel = candidate.relative_to(base).with_suffix("").parts
                if len(rel) < level:  # the relative imports would reach above the package
                    continue
                # how far the folder names agree, from the file upwards
                agree = 0
                for a, b in zip(reversed(candidate.parts[:-1]), reversed(path.parts[:-1])):
                    if a != b:
                        break
                    agree += 1
                if agree:
                    hits.append((agree, ".".join((top,) + rel)))
    if not hits:
        return None
    hits.sort(key=lambda h: -h[0])
    if len(hits) > 1 and hits[0][0] == hits[1][0]:
        return None  # ambiguous: the spec must name it
    return hits[0][1]


def install_hint(name: str) -> str:
    from torch2ms.scan.detect import pip_name

    return f"pip install {pip_name(name)}"


def import_original(path, *, input_root=None, module: str | None = None):
    """Import a torch original as its package's module (see the module docstring). Raises
    TorchSideError with what to install or change."""
    from torch2ms import torch_env

    path = Path(path).resolve()
    if not path.is_file():
        raise TorchSideError(f"the torch original {path} does not exist")
    try:
        tree = _parse(path)
    except SyntaxError as exc:
        raise TorchSideError(f"the torch original {path} does not parse here: line {exc.lineno}: {exc.msg}") from None
    level = relative_level(tree)
    root = Path(input_root).resolve() if input_root and within(path, Path(input_root).resolve()) else None
    if root is not None and (root / "__init__.py").is_file():
        root = None  # the input folder is a package itself: its files are modules of that package
    anchor = root or package_anchor(path)
    name, _ = module_name(path, anchor)
    overlay = None
    if module:
        name, overlay = module, path.parent
    elif level > len(name.split(".")) - 1:
        installed = installed_module_for(path, level)
        if installed is None:
            raise TorchSideError(
                f"{path.name} imports relative to a package above its folder (`from {'.' * level}<module> import ...`) and no "
                f"installed package has a {path.parent.name}/{path.name}: name the module in the spec, "
                "torch: {module: <package.module>, build: ...}")
        name, overlay = installed, path.parent
    roots = [path.parent, anchor]
    # as `python -c "import pkg.model"` from the anchor: the file's own folder only for plain-name
    # sibling imports (after the anchor), or for a copied package file's siblings
    paths = [path.parent, anchor] if overlay is not None else \
        [anchor] + ([path.parent] if imports_siblings(path, anchor) else [])
    torch_env.prepare()
    _forget_installed_siblings(name, overlay)
    try:
        with project_imports(paths, roots):
            if overlay is None:
                claim_folders(name, anchor)
                loaded = _load_as(name, path)
            else:
                loaded = _load_as(name, path, overlay=overlay)
    except ModuleNotFoundError as exc:
        raise TorchSideError(missing_message(exc, roots)) from None
    except TorchSideError:
        raise
    except Exception as exc:
        raise TorchSideError(f"importing the torch original fails: {type(exc).__name__}: {exc}"
                             f"{_where(exc)}") from None
    finally:
        if overlay is None:
            forget_modules(roots)
        else:  # the siblings are loaded; later imports of the package find its own files again
            package = sys.modules.get(name.rpartition(".")[0])
            with contextlib.suppress(AttributeError, ValueError, TypeError):
                package.__path__.remove(str(overlay))
    return loaded


def _forget_installed_siblings(name: str, overlay: Path | None) -> None:
    """Drop from sys.modules the installed modules of `name`'s package that the project holds a
    copy of (its `configuration_x.py` beside `modeling_x.py`), so that the torch original imports
    the project's copies even when the installed ones were imported before (by mindone, or an
    earlier check in the same process), as it does in a fresh process."""
    if overlay is None:
        return
    package = name.rpartition(".")[0]
    for copy in overlay.glob("*.py"):
        if f"{package}.{copy.stem}" != name:
            sys.modules.pop(f"{package}.{copy.stem}", None)


def missing_message(exc: ModuleNotFoundError, roots: list) -> str:
    """What to install (or change) for a module the torch original cannot find."""
    missing = exc.name or ""
    top = missing.split(".")[0]
    for root in roots:
        if top and ((Path(root) / top).exists() or (Path(root) / f"{top}.py").exists()):
            return f"importing the torch original fails: project-local module {missing} is missing: {exc}"
    if not top:
        return f"importing the torch original fails: ModuleNotFoundError: {exc}"
    if importlib.util.find_spec(top) is None:
        return (f"the torch original imports {top}, which is not installed here: {install_hint(top)} "
                "(parity cannot run without it)")
    from importlib import metadata

    try:
        version = " " + metadata.version(top)
    except metadata.PackageNotFoundError:
        version = ""
    return (f"the torch original imports {missing}, which the installed {top}{version} does not have: "
            "install the version the project needs")


def _where(exc: BaseException) -> str:
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    return f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""


# --------------------------------------------------------------------- ports
def port_root(path: Path) -> Path:
    """The outputs root of a workspace holding `path`, else its package anchor."""
    ws = find_workspace(path.resolve().parent)
    if ws is not None and within(path.resolve(), ws.outputs.resolve()):
        return ws.outputs.resolve()
    return package_anchor(path)


def import_port(path, root=None, guarded: bool = True):
    """Import a MindSpore port as `python -c "import pkg.mod"` does from `root` (default
    `port_root`): see the module docstring. `guarded`: refuse project-local modules that only the
    input folder has (`OutputsOnly`). ImportError when the module resolves outside `root`."""
    from torch2ms import torch_env

    path = Path(path).resolve()
    root = Path(root).resolve() if root is not None else port_root(path)
    name, root = module_name(path, root)
    ws = find_workspace(path.parent)
    source = input_dir(ws) if ws is not None else None
    drop_input_entries(source, root)
    if source is not None:  # a torch module imported since (a lazy import in a forward) is not the port's
        installed = tuple(n for n in sys.modules if "." in n and not _from(sys.modules.get(n.partition(".")[0]), source))
        forget_modules([source], keep=installed, spare=root)
    guard = outputs_guard(None, path.parent) if guarded else None
    paths = [root] + ([path.parent] if imports_siblings(path, root) else [])
    torch_env.prepare()  # mindone.transformers imports transformers, which imports torchvision
    with project_imports(paths, [root], guard):
        if (root / "__init__.py").is_file():  # outputs/ is the converted package itself (the input folder was one)
            if path == root / "__init__.py":
                sys.modules.pop(_package_name(root), None)
                return sys.modules[_outputs_package(root)]
            name = f"{_outputs_package(root)}.{name}"
        sys.modules.pop(name, None)
        claim_folders(name, root)
        module = importlib.import_module(name)
    where = getattr(module, "__file__", None)
    if where is None or not within(Path(where), root):
        raise ImportError(f"`{name}` resolved to {where or 'a namespace package'}, not to a file below {root}: "
                          "the port is imported only from there", name=name)
    return module


def claim_folders(name: str, root: Path) -> None:
    """The packages of module `name` that are folders of `root` without `__init__.py` (namespace
    packages) become those folders, even where an installed regular package of the same name
    (a stray `tests` or `utils` in site-packages) would win Python's search: a project module is
    imported from the project's tree, never from a library."""
    parts = name.split(".")[:-1]
    parent = None
    for i in range(1, len(parts) + 1):
        pkg = ".".join(parts[:i])
        folder = Path(root).joinpath(*parts[:i])
        if not folder.is_dir() or (folder / "__init__.py").is_file():
            return  # a regular package of the project: Python finds it first from root
        current = sys.modules.get(pkg)
        if current is None or not _from(current, folder):
            spec = importlib.machinery.ModuleSpec(pkg, None, is_package=True)
            spec.submodule_search_locations = [str(folder)]
            current = importlib.util.module_from_spec(spec)
            sys.modules[pkg] = current
            if parent is not None:
                setattr(parent, parts[i - 1], current)
        parent = current


def _from(module, folder: Path) -> bool:
    """True for a module (or package) loaded from below `folder`."""
    try:
        where = getattr(module, "__file__", None)
        paths = [where] if where else list(getattr(module, "__path__", []) or [])
    except (KeyError, AttributeError, TypeError):  # a namespace package whose parent is gone
        return False
    return bool(paths) and all(within(Path(p), folder) for p in paths)


def drop_input_entries(source: Path | None, root: Path) -> None:
    """Take the input folder (and any folder below it, the current one included when it is there)
    off sys.path for good, except the outputs root below it and installed packages: once a port is
    imported, no project module may come from the torch tree."""
    if source is None:
        return
    source = Path(source).resolve()
    kept = []
    for entry in sys.path:
        try:
            folder = Path(entry or ".").resolve()
        except (OSError, RuntimeError, TypeError):
            kept.append(entry)
            continue
        if (within(folder, source) and not within(folder, root)
                and not {"site-packages", "dist-packages"} & set(folder.parts)):
            continue
        kept.append(entry)
    if len(kept) != len(sys.path):
        sys.path[:] = kept
        importlib.invalidate_caches()


def imports_siblings(path: Path, root: Path) -> bool:
    """True for a file below `root` that imports a module of its own folder by plain name (`from
    model import Net` beside `model.py`, a script run as `python sub/train.py`) that `root` lacks:
    only then does its folder go on sys.path, after `root`."""
    folder = path.resolve().parent
    if folder == root.resolve():
        return False
    try:
        tree = _parse(path)
    except (OSError, SyntaxError, ValueError):
        return False
    tops = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            tops.add(node.module.split(".")[0])
    tops.discard(path.stem)
    return any(_module_path(folder, top, namespace_ok=False) and not _module_path(root, top, namespace_ok=True)
               for top in tops)


def model_origin(target, fallback) -> str | None:
    """The file a build target (a class or factory; a model object: the module `fallback` it came
    from) was defined in."""
    import inspect

    obj = target if isinstance(target, type) or callable(target) and not hasattr(target, "construct") \
        and not hasattr(target, "state_dict") else None
    for candidate in ([obj] if obj is not None else []) + [fallback]:
        try:
            found = inspect.getsourcefile(candidate) or inspect.getfile(candidate)
        except (TypeError, OSError):
            continue
        if found:
            return str(Path(found).resolve())
    return None


def _package_name(root: Path) -> str:
    """The input folder's name (what the files' absolute self-imports say), unless an installed
    library has that name (a folder called `transformers`): then `<name>_port`."""
    ws = find_workspace(root)
    source = input_dir(ws) if ws is not None else None
    name = source.name if source is not None and source.name.isidentifier() else root.name
    if not name.isidentifier():
        return "outputs"
    try:
        spec = importlib.util.find_spec(name) if name not in sys.modules else sys.modules[name].__spec__
    except (ImportError, ValueError, AttributeError):
        spec = None
    where = []
    if spec is not None:
        where = [str(x) for x in spec.submodule_search_locations or []] + ([str(spec.origin)] if spec.origin else [])
    installed = (any("site-packages" in w or "dist-packages" in w for w in where)
                 or name in sys.builtin_module_names or name in getattr(sys, "stdlib_module_names", ()))
    return f"{name}_port" if installed else name


def _outputs_package(root: Path) -> str:
    """When `root` holds an `__init__.py` (a scan of a package folder converts into outputs/ as
    is), register `root` as that package, named as the input folder (else `outputs`), so that its
    files' relative imports (`from .configuration_x import XConfig`) resolve. Returns the name."""
    name = _package_name(root)
    module = sys.modules.get(name)
    if module is not None and str(root) in list(getattr(module, "__path__", []) or []):
        return name
    _execute(importlib.util.spec_from_file_location(name, root / "__init__.py",
                                                    loader=DefinitionsLoader(name, str(root / "__init__.py")),
                                                    submodule_search_locations=[str(root)]))
    return name


# --------------------------------------------------------------------- the workspace guard
def input_dir(ws) -> Path | None:
    """The input folder the workspace was made from: the tracker's header, else the scan record."""
    if ws.tracker.is_file():
        from torch2ms.tracker import Tracker, TrackerError

        try:
            return Tracker.load(ws.tracker).input_dir
        except TrackerError:
            pass
    try:
        return Path(json.loads((ws.state_dir / "scan.json").read_text(encoding="utf-8"))["input_dir"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def find_workspace(home: Path):
    """The workspace whose outputs/ holds `home`: $TORCH2MS_WORKSPACE or the current folder if it
    does, else the nearest parent `X` with `home` under `X/outputs/`."""
    from torch2ms.workspace import Workspace

    default = Workspace.resolve()
    if within(home, default.outputs):
        return default
    for parent in (home, *home.parents):
        if parent.name == "outputs" and input_dir(Workspace(parent.parent)) is not None:
            return Workspace(parent.parent)
    return None


def outputs_guard(given: str | None, home: Path, report=None) -> "OutputsOnly | None":
    """The guard for code run from a workspace's outputs/ (None when `home` is not in one).
    `given`: an explicit workspace folder (ValueError when it holds no tracker or scan record)."""
    from torch2ms.workspace import Workspace

    if given is not None:
        ws = Workspace.resolve(given)
        if not ws.root.is_dir():
            raise ValueError(f"no workspace folder at {given}")
        if input_dir(ws) is None:
            raise ValueError(f"{given} holds no tracker or scan record: run `torch2ms scan` there first")
    else:
        ws = find_workspace(home)
    if ws is None or not within(home, ws.outputs):
        return None
    found = input_dir(ws)
    return OutputsOnly(ws.outputs, found.resolve(), report) if found else None


class OutputsOnly(importlib.abc.MetaPathFinder):
    """Refuses a module that the input folder has but outputs/ lacks, with a message saying so.

    Consulted before the normal finders: a module that exists in outputs/ (or is not
    project-local) is left to them. `report(message)` is called once per refused module.
    """

    def __init__(self, outputs: Path, input_dir: Path, report=None):
        self.outputs = outputs.resolve()
        self.input_dir = input_dir
        self.reported: set[str] = set()
        self.report = report

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in getattr(sys, "stdlib_module_names", ()):
            return None
        leaf = name.rpartition(".")[2]
        missing = None
        for entry in (sys.path if path is None else path):
            folder = Path(entry or ".").resolve()
            try:
                rel = folder.relative_to(self.outputs)
            except ValueError:
                continue
            if _module_path(folder, leaf, namespace_ok=True):
                return None
            original = _module_path(self.input_dir / rel, leaf, namespace_ok=True)
            if missing is None and original is not None:
                missing = (original, self.outputs / rel / original.relative_to(self.input_dir / rel))
        if missing is None:
            return None
        original, where = missing
        message = (f"`{name}` is a project-local module that is not in outputs/: the input folder has "
                   f"{_shown(original)} but {_shown(where)} does not exist; copy it there if it needs "
                   "no conversion, or convert it (it is not imported from the input folder)")
        if name not in self.reported:
            self.reported.add(name)
            if self.report is not None:
                self.report(message)
        raise ModuleNotFoundError(message, name=name)


def _module_path(folder: Path, leaf: str, namespace_ok: bool) -> Path | None:
    """The file or folder that makes `leaf` importable from `folder`, if any."""
    candidates = [folder / leaf / "__init__.py"]
    candidates += [folder / (leaf + suffix) for suffix in importlib.machinery.all_suffixes()]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    # A plain folder is a namespace package only when it holds Python files, at any depth
    # (`src/nets/` holding only `diffusion/`); data/ is not code.
    if namespace_ok and (folder / leaf).is_dir() and any((folder / leaf).rglob("*.py")):
        return folder / leaf
    return None


def _shown(path: Path) -> str:
    """Relative to the current folder when below it, else absolute."""
    cwd = Path.cwd().resolve()
    return str(path.resolve().relative_to(cwd)) if within(path, cwd) else str(path)
