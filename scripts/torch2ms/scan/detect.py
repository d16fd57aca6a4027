"""What one file imports and does, found statically: nothing of the input is imported or run.

`ast` parses (about ten times faster than libcst, and positions are not needed here). A file
`ast` cannot parse (a syntax error, Python 2) goes through a token fallback that skips strings
and comments, and a plain-regex one when even tokenizing fails. Words like "torch" in a comment
or a string never count.
"""

from __future__ import annotations

import ast
import bisect
import functools
import io
import json
import re
import tokenize
from dataclasses import dataclass, field

from torch2ms.scan.categorize import Signals, categorize
from torch2ms.scan.config import ScanConfig

# (module, level, names): `from ..a.b import c, d` is ("a.b", 2, ("c", "d")); `import a.b` is ("a.b", 0, ()).
Import = tuple


@dataclass
class Facts:
    """The scan's findings for one file; picklable, so worker processes can return it."""

    path: str  # posix, relative to the input folder
    kind: str = "py"  # "py" or "ipynb"
    lines: int = 0
    parsed: bool = True
    skipped: bool = False  # nothing could be read (binary, unreadable): only the warning counts
    imports: list = field(default_factory=list)
    torch_libs: list = field(default_factory=list)
    ms_libs: list = field(default_factory=list)
    torch_free_only: bool = False  # its torch-ecosystem imports are all configs/tokenizers
    optional_imports: list = field(default_factory=list)  # under try/except ImportError or `if is_x_available()`
    category: str = "Modeling"
    evidence: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def analyse_file(abs_path: str, rel: str, config: ScanConfig) -> Facts:
    """Never raises: a file that cannot be analysed becomes a warning, and the scan goes on."""
    try:
        return _analyse_file(abs_path, rel, config)
    except Exception as exc:  # noqa: BLE001 - one odd file must not stop a scan of thousands
        return Facts(path=rel, skipped=True, warnings=[f"could not be analysed ({type(exc).__name__}: {exc}): skipped"])


BINARY = "binary content in a source file: skipped"


def binary(head: bytes) -> bool:
    """True for a file the scan skips as binary (a NUL byte in its first 8 KiB)."""
    return b"\0" in head[:8192]


def _analyse_file(abs_path: str, rel: str, config: ScanConfig) -> Facts:
    kind = "ipynb" if rel.endswith(".ipynb") else "py" if rel.endswith(".py") else "config"
    facts = Facts(path=rel, kind=kind)
    if kind == "config":
        return analyse_config(abs_path, facts)
    try:
        with open(abs_path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        facts.skipped = True
        facts.warnings.append(f"cannot read it ({exc.strerror or exc}): skipped")
        return facts
    if binary(data):
        facts.skipped = True
        facts.warnings.append(BINARY)
        return facts
    text = _decode(data, facts)
    if kind == "ipynb":
        text = _notebook_code(text, facts)
        if text is None:
            return facts
    return analyse_source(text, facts, config)


def analyse_config(abs_path: str, facts: Facts) -> Facts:
    """A config (YAML, JSON, TOML) naming torch-ecosystem classes, or a requirement file listing
    torch-stack packages: category Config, converted by `torch2ms convert` (convert/configs.py).
    A larger file than configs.yaml's max_bytes is data, and is not read."""
    import os

    from torch2ms.convert import configs

    try:
        if os.path.getsize(abs_path) > configs.data()["max_bytes"]:
            facts.skipped = True
            return facts
        with open(abs_path, "rb") as fh:
            text = _decode(fh.read(), facts)
    except OSError:
        facts.skipped = True
        return facts
    facts.lines = text.count("\n")
    facts.category = "Config"
    if configs.kind(facts.path) == "requirements":
        result = configs.convert_requirements(text, facts.path)
        names = [before for _, before, _ in result.edits if not before.startswith("-")]
        names += [m.split(" ")[0] for _, m, _ in result.flags]
        if names:
            facts.torch_libs = sorted({re.split(r"[\[=<>!~;\s]", n.lstrip("-# "))[0] for n in names})
            facts.evidence = [f"lists {', '.join(names[:4])}{', ...' if len(names) > 4 else ''}: "
                              "rewritten to the MindSpore stack by `torch2ms convert`"]
        return facts
    found = configs.torch_names(text, facts.path)
    if found:
        names = list(dict.fromkeys(n for _, n in found))
        facts.torch_libs = sorted({n.split(".")[0] for n in names})
        facts.evidence = [f"names {len(names)} torch-ecosystem class{'es' if len(names) != 1 else ''} "
                          f"({', '.join(names[:3])}{', ...' if len(names) > 3 else ''}): `torch2ms convert` "
                          "maps them or marks them"]
    return facts


def analyse_source(text: str, facts: Facts, config: ScanConfig) -> Facts:
    facts.lines = text.count("\n") + (1 if text and not text.endswith("\n") else 0)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:  # ValueError: NUL bytes
        facts.parsed = False
        where = f"line {exc.lineno}: " if getattr(exc, "lineno", None) else ""
        py2 = " (looks like Python 2)" if _PY2_RE.search(text) else ""
        why = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
        facts.warnings.append(f"does not parse{py2} ({where}{why}); imports found by a token scan, convert with care")
        imports, signals = _fallback(text, config)
    else:
        imports, signals, facts.optional_imports = _visit(tree, text, config)
    facts.imports = imports
    facts.torch_libs = config.match_torch(imports)
    facts.ms_libs = config.match_mindspore(imports)
    facts.torch_free_only = bool(facts.torch_libs) and config.torch_free_only(imports)
    facts.category, facts.evidence = categorize(signals, config)
    return facts


def _decode(data: bytes, facts: Facts) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        facts.warnings.append(f"not valid {encoding} text: read as latin-1")
        text = data.decode("latin-1")
    return text[1:] if text.startswith("\ufeff") else text


def _notebook_code(text: str, facts: Facts) -> str | None:
    """The code cells of a notebook as one source; IPython magics and shell lines blanked."""
    try:
        nb = json.loads(text)
        cells = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    except (ValueError, AttributeError, TypeError) as exc:
        facts.skipped = True
        facts.warnings.append(f"not a readable notebook ({exc}): skipped")
        return None
    chunks = []
    for cell in cells:
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else str(src)
        lines = ["" if ln.lstrip().startswith(("%", "!")) or ln.rstrip().endswith("?") else ln
                 for ln in src.splitlines()]
        chunks.append("\n".join(lines))
    return "\n".join(chunks)


# ---------------------------------------------------------------- ast
def _dotted(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        parts.append(_dotted(node.func) + "()")
    else:
        parts.append("...")
    return ".".join(reversed(parts))


def _last(node) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        return _last(node.func)
    return ""


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
_block_fields: dict = {}
_header_fields: dict = {}


def _fields(t):
    """(fields holding nested statements, other fields) of a node type, cached."""
    if t not in _block_fields:
        _block_fields[t] = tuple(f for f in t._fields if f in _BLOCKS)
        _header_fields[t] = tuple(f for f in t._fields if f not in _BLOCKS)
    return _block_fields[t], _header_fields[t]


def _call_lines(text: str, config: ScanConfig) -> list:
    """Sorted line numbers where a watched name is followed by "(": only there are calls looked at.

    str.find per name is about twice as fast as one regex alternation over the text.
    """
    hits = []
    find = text.find
    for name in config.call_names:
        size = len(name)
        i = find(name)
        while i != -1:
            j = i + size
            if (i == 0 or not _is_word(text[i - 1])) and text[j:j + 64].lstrip(" \t").startswith("("):
                hits.append(i)
            i = find(name, j)
    if not hits:
        return []
    hits.sort()
    lines, pos, line = [], 0, 1
    for i in hits:
        line += text.count("\n", pos, i)
        pos = i
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _visit(tree: ast.AST, text: str, config: ScanConfig):
    """Walk the statements (not every expression: most of a tree is expressions, and walking
    them all costs more than parsing); expressions are searched for calls only on the lines
    where a watched name is followed by "(" in the text."""
    imports: list = []
    sig = Signals()
    contexts = config.inference_contexts
    classes = []
    flagged = _call_lines(text, config)
    Import, ImportFrom, ClassDef = ast.Import, ast.ImportFrom, ast.ClassDef
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    withs = (ast.With, ast.AsyncWith)
    nn_names = set()
    optional = set()
    # (statement, whether it sits in the body of a guard: a try catching an import failure or
    # an `if` testing availability, at any depth)
    stack = [(node, False) for node in reversed(tree.body)]  # popped from the end: source order
    for node in tree.body:
        if type(node) is ast.If and _is_main_guard(node.test):
            sig.entries.append('if __name__ == "__main__"')
        elif type(node) in (ast.Assign, ast.Expr) and _loads_here(node, config):
            sig.top_level_work = True
    while stack:
        node, guarded = stack.pop()
        t = type(node)
        if t is ImportFrom:
            imports.append((node.module or "", node.level or 0, tuple(a.name for a in node.names)))
            if not node.level and config.module_namespaces & set((node.module or "").split(".")):
                nn_names.update(a.asname or a.name for a in node.names)
            if guarded and not node.level and node.module:
                optional.add(node.module.split(".")[0])
            continue
        if t is Import:
            imports.extend((a.name, 0, ()) for a in node.names)
            if guarded:
                optional.update(a.name.split(".")[0] for a in node.names)
            continue
        blocks, header = _fields(t)
        guards = not guarded and (t is ast.Try or t is ast.If or t.__name__ == "TryStar") and _guards_imports(node)
        for f in reversed(blocks):
            inner = guarded or (guards and f == "body")
            stack.extend((child, inner) for child in reversed(getattr(node, f)))
        if t is ClassDef:
            classes.append((node.name, [_dotted(b) if isinstance(b, (ast.Name, ast.Attribute)) else _last(b)
                                        for b in node.bases]))
        elif t in functions:
            for deco in node.decorator_list:
                if _last(deco) in contexts:
                    sig.add_range(_last(deco), node.lineno, node.end_lineno)
                name = _dotted(deco.func if isinstance(deco, ast.Call) else deco)
                if name in config.entry_decorators:
                    sig.entries.append(f"@{name}")
        elif t in withs:
            for item in node.items:
                if _last(item.context_expr) in contexts:
                    sig.add_range(_last(item.context_expr), node.lineno, node.end_lineno)
        if not flagged or not hasattr(node, "lineno"):
            continue
        # the statement's own lines: a compound statement's header ends where its body starts
        first = node.lineno
        body = getattr(node, blocks[0]) if blocks else None
        last = max(first, body[0].lineno - 1) if body and hasattr(body[0], "lineno") else node.end_lineno
        if t in functions or t is ClassDef:
            first = min([first] + [d.lineno for d in node.decorator_list])
        i = bisect.bisect_left(flagged, first)
        if i < len(flagged) and flagged[i] <= last:
            roots = [node] if not blocks else [v for f in header for v in _as_list(getattr(node, f))]
            for root in roots:
                if isinstance(root, ast.AST):
                    _collect_calls(root, sig, config, imports)
    sig.add_classes(classes, config, frozenset(nn_names))
    return imports, sig, sorted(optional)


def _is_main_guard(test) -> bool:
    """`__name__ == "__main__"` (either way round)."""
    if type(test) is not ast.Compare or len(test.comparators) != 1 or type(test.ops[0]) is not ast.Eq:
        return False
    sides = [test.left, test.comparators[0]]
    return (any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides)
            and any(isinstance(x, ast.Constant) and x.value == "__main__" for x in sides))


def _loads_here(node, config: ScanConfig) -> bool:
    """A module-level statement that loads a model or weights (`model = torch.load(path)`)."""
    for sub in ast.walk(node):
        if type(sub) is ast.Call and _last(sub.func) in config.load_calls:
            receiver = _dotted(sub.func.value) if isinstance(sub.func, ast.Attribute) else ""
            if _last(sub.func) != "load" or receiver.split(".")[0] in config.load_receivers:
                return True
    return False


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _collect_calls(root, sig: Signals, config: ScanConfig, imports: list) -> None:
    watched = config.watched_calls
    for node in ast.walk(root):
        if type(node) is not ast.Call:
            continue
        func = node.func
        tf = type(func)
        name = func.attr if tf is ast.Attribute else func.id if tf is ast.Name else ""
        if name in watched:
            sig.add_call(name, _dotted(func.value) if tf is ast.Attribute else None, node.lineno)
        elif name == "__import__" or name == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                mod = node.args[0].value
                imports.append((mod.lstrip("."), len(mod) - len(mod.lstrip(".")), ()))


_NO_CALL = (ast.Name, ast.Attribute, ast.Constant)  # an `if` test that cannot call anything
_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}


def _guards_imports(node) -> bool:
    """A try whose handlers catch an import failure, or an `if` testing availability."""
    if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
        for handler in node.handlers:
            caught = handler.type
            names = [_last(e) for e in caught.elts] if isinstance(caught, ast.Tuple) else [_last(caught)] if caught else ["*"]
            if "*" in names or _IMPORT_ERRORS & set(names):
                return True
    if isinstance(node, ast.If):
        if type(node.test) in _NO_CALL:
            return False
        return any(isinstance(c, ast.Call) and (_last(c.func).startswith("is_") or _last(c.func) == "find_spec")
                   for c in ast.walk(node.test))
    return False


# Import names whose pip distribution is called otherwise (when no installed distribution says).
PIP_NAMES = {"cv2": "opencv-python", "PIL": "pillow", "sklearn": "scikit-learn", "yaml": "pyyaml",
             "skimage": "scikit-image", "bs4": "beautifulsoup4", "Crypto": "pycryptodome",
             "google.protobuf": "protobuf", "attr": "attrs", "dateutil": "python-dateutil",
             "hydra": "hydra-core", "pkg_resources": "setuptools", "fitz": "pymupdf",
             "magic": "python-magic", "jwt": "pyjwt", "serial": "pyserial", "zmq": "pyzmq",
             "OpenSSL": "pyopenssl"}


def pip_name(module: str) -> str:
    """The distribution to install for an import name: the table above, else the distribution
    that provides it in this environment (importlib.metadata), else the name itself."""
    if module in PIP_NAMES:
        return PIP_NAMES[module]
    found = _distributions().get(module.split(".")[0])
    if found:
        return found[0]
    return module.replace("_", "-")


@functools.lru_cache(maxsize=1)
def _distributions() -> dict:
    """Import name -> distributions, read once (it reads every installed package's metadata)."""
    from importlib.metadata import packages_distributions

    return packages_distributions()


# Modules of an installed library that import another package which it does not install.
NEEDS = {"torch.utils.tensorboard": "tensorboard"}


def _needed(module: str, names: tuple) -> list:
    """The packages `from module import names` (or `import module`) needs beside its own top level."""
    full = [module] + [f"{module}.{n}" for n in names]
    return [pkg for prefix, pkg in NEEDS.items()
            if any(m == prefix or m.startswith(prefix + ".") for m in full)]


def missing_libraries(facts: Facts, local_tops: frozenset, installed=None) -> list:
    """Top-level packages the file imports (not optionally) that this environment cannot import:
    parity cannot run the torch original without them (also those a module of an installed
    library needs, `NEEDS`). `local_tops`: the project's own top-level module names. Nothing is
    imported to find out (`importlib.util.find_spec` of a top-level name)."""
    import sys

    installed = installed or _installed
    optional = set(facts.optional_imports)
    names = sorted({m.split(".")[0] for m, level, _ in facts.imports if not level and m}
                   | {pkg for m, level, imported in facts.imports if not level and m
                      for pkg in _needed(m, imported)})
    return [n for n in names
            if n not in optional and n not in local_tops and n not in sys.builtin_module_names
            and n not in getattr(sys, "stdlib_module_names", ()) and n != "__future__" and not installed(n)]


@functools.lru_cache(maxsize=None)
def _installed(name: str) -> bool:
    from torch2ms import torch_env

    try:
        return torch_env.find_spec_only(name) is not None
    except (ImportError, ValueError):
        return False


# ---------------------------------------------------------------- fallback
_PY2_RE = re.compile(r"^\s*(print\s+[^\s(=]|exec\s+[\"'\w]|except\s+[\w.]+\s*,\s*\w+\s*:)", re.M)
_IMPORT_LINE_RE = re.compile(r"^\s*(?:from\s+(\.*[\w.]*)\s+import\s+([\w\s,()*]+)|import\s+([\w\s.,]+))")
_DYNAMIC_RE = re.compile(r"(?:__import__|import_module)\s*\(\s*['\"](\.*[\w.]+)")
_CLASS_RE = re.compile(r"^\s*class\s+(\w+)\s*\(([^)]*)\)", re.M)
_CALL_RE = re.compile(r"(?:([\w.]+)\.)?(\w+)\s*\(")


def _code_lines(text: str) -> list[tuple[int, str]]:
    """(line number, code) with strings and comments removed (string literals become STR).

    Uses the tokenizer, which copes with most code `ast` refuses (Python 2 print statements);
    when it fails too, comments are cut with a regex and strings are left in place.
    """
    out: dict[int, list[str]] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
                            tokenize.DEDENT, tokenize.ENDMARKER):
                continue
            word = "STR" if tok.type == tokenize.STRING else tok.string
            out.setdefault(tok.start[0], []).append(word)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [(n, re.sub(r"#.*", "", line)) for n, line in enumerate(text.splitlines(), 1)]
    lines = text.splitlines()
    return [(n, (re.match(r"\s*", lines[n - 1]).group(0) if n <= len(lines) else "") + " ".join(words))
            for n, words in sorted(out.items())]


def _fallback(text: str, config: ScanConfig):
    imports: list = []
    sig = Signals()
    code = [(n, re.sub(r"\s*\.\s*", ".", line)) for n, line in _code_lines(text)]
    for lineno, squeezed in code:
        m = _IMPORT_LINE_RE.match(squeezed)
        if m and m.group(3):
            for part in m.group(3).split(","):
                name = part.split(" as ")[0].strip()
                if name:
                    imports.append((name, 0, ()))
        elif m:
            mod = m.group(1)
            level = len(mod) - len(mod.lstrip("."))
            names = tuple(n.split(" as ")[0].strip() for n in m.group(2).strip("() ").split(","))
            imports.append((mod.lstrip("."), level, tuple(n for n in names if n)))
        for recv, name in _CALL_RE.findall(squeezed):
            if name in config.watched_calls:
                sig.add_call(name, recv or None, lineno)
    # string arguments are blanked in `code`: dynamic imports are read from the raw lines
    for line in text.splitlines():
        for dyn in _DYNAMIC_RE.findall(re.sub(r"#.*", "", line)):
            imports.append((dyn.lstrip("."), len(dyn) - len(dyn.lstrip(".")), ()))
    classes = [(name, [b.strip() for b in bases.split(",") if b.strip() and "=" not in b])
               for name, bases in _CLASS_RE.findall("\n".join(line for _, line in code))]
    nn_names = frozenset(n for m, level, names in imports if not level and config.module_namespaces & set(m.split("."))
                         for n in names)
    sig.add_classes(classes, config, nn_names)
    return imports, sig
