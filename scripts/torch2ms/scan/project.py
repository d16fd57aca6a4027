"""From per-file facts to tracker entries: project-local imports, statuses, outputs.

A file that imports no torch-ecosystem package itself but imports a project-local module that
imports one (status torch or unparseable; a partly converted module does not count) is listed
too: its imports will point at converted code.

A listed file's `imports_local` are the project files Python runs when it imports the file:
the modules it names (`from pkg import X`, `import pkg.mod`, relative and star imports), the
`__init__.py` of every package on the way (`import net.parts` runs `net/__init__.py`) and of its
own packages, and, through files that are not listed (copied as they are), the listed files
those reach. The conversion order (`Tracker.queue`) is a topological order of that graph.
"""

from __future__ import annotations

from pathlib import Path

from torch2ms.scan.detect import missing_libraries, pip_name
from torch2ms.tracker import Entry


def resolve_local(rel: str, imports, index: frozenset) -> list:
    """The project files (posix, relative) that `rel`'s imports reach.

    A plain import is looked up next to the importing file first (how a script's siblings are
    found), then from the input folder's top; a relative import from the importing file's package.
    """
    here = rel.split("/")[:-1]
    found = []
    for module, level, names in imports:
        if level:
            if level - 1 > len(here):
                continue  # reaches above the input folder
            bases = [here[: len(here) - (level - 1)]]
        else:
            bases = [here, []] if here else [[]]
        parts = [p for p in module.split(".") if p] if module else []
        for base in bases:
            hits = []
            stem = "/".join(base + parts)
            prefix = stem + "/" if stem else ""
            if parts:
                for cand in (stem + ".py", prefix + "__init__.py"):
                    if cand in index:
                        hits.append(cand)
                        break
            for name in names:
                for cand in (f"{prefix}{name}.py", f"{prefix}{name}/__init__.py"):
                    if cand in index:
                        hits.append(cand)
                        break
            if hits:
                found.extend(hits)
                break
    return sorted(set(found) - {rel})


def package_inits(rel: str, index: frozenset) -> list:
    """The `__init__.py` files of the packages holding `rel` (outermost first), which Python
    runs before `rel` when it is imported as a module of its package."""
    parts = rel.split("/")[:-1]
    found = []
    for i in range(1, len(parts) + 1):
        cand = "/".join(parts[:i]) + "/__init__.py"
        if cand in index and cand != rel:
            found.append(cand)
    return found


def import_graph(local: dict, index: frozenset) -> dict:
    """Every file's direct project imports plus the package `__init__.py` files each import runs
    (those of the imported module's packages and of the file's own)."""
    graph = {}
    for rel, targets in local.items():
        deps = set(targets) | set(package_inits(rel, index))
        for t in targets:
            deps.update(package_inits(t, index))
        deps.discard(rel)
        graph[rel] = deps
    return graph


def _listed_reach(rel: str, graph: dict, listed: set) -> list:
    """The listed files `rel` imports, directly or through files that are not listed."""
    seen, stack, out = {rel}, list(graph.get(rel, ())), set()
    while stack:
        dep = stack.pop()
        if dep in seen:
            continue
        seen.add(dep)
        if dep in listed:
            out.add(dep)
        else:
            stack.extend(graph.get(dep, ()))
    return sorted(out)


def build_entries(facts: list, outputs_dir: Path) -> tuple:
    """(entries, files without torch-ecosystem code, warnings to show: those of files not listed,
    and the libraries a listed file imports that this environment lacks, so its torch original
    cannot be imported for parity)."""
    readable = [f for f in facts if not f.skipped]
    index = frozenset(f.path for f in readable if f.kind == "py")
    local = {f.path: resolve_local(f.path, f.imports, index) for f in readable}
    status = {}
    for f in readable:
        if f.torch_libs and f.kind == "ipynb":
            status[f.path] = "notebook"
        elif f.torch_libs and f.ms_libs and f.torch_free_only:
            status[f.path] = "mindspore"  # e.g. mindone code keeping transformers' tokenizers
        elif f.torch_libs and f.ms_libs:
            status[f.path] = "partial"
        elif f.torch_libs:
            status[f.path] = "torch" if f.parsed else "unparseable"
        elif f.ms_libs and f.kind == "py":
            status[f.path] = "mindspore"
    # files that reach torch only through a project-local module that imports it itself; not
    # further: a file two local imports away uses nothing torch-specific by that route alone
    direct = {p for p, st in status.items() if st in ("torch", "unparseable")}
    via: dict = {}
    for f in readable:
        if f.path in status or f.kind != "py":
            continue
        hit = [p for p in local[f.path] if p in direct]
        if hit:
            via[f.path] = hit
            status[f.path] = "torch" if f.parsed else "unparseable"
    # a package's __init__.py that imports listed modules (a re-export: `from .model import Net`)
    # is listed too: importing any module of the package runs it, so it converts with them
    changed = True
    while changed:
        changed = False
        for f in readable:
            if f.path in status or f.kind != "py" or f.path.rpartition("/")[2] != "__init__.py":
                continue
            hit = [p for p in local[f.path] if status.get(p) in ("torch", "unparseable")]
            if hit:
                via[f.path] = hit
                status[f.path] = "torch" if f.parsed else "unparseable"
                changed = True
    graph = import_graph(local, index)
    listed = set(status)
    entries, others, warnings = [], [], []
    local_tops = frozenset(part.removesuffix(".py") for p in index for part in p.split("/"))
    for f in readable:
        st = status.get(f.path)
        if st is None and f.kind == "config":
            continue  # a config without torch names: copied as a data file
        if st is None:
            others.append(f.path)
            warnings += [f"{f.path}: {w}" for w in f.warnings]
            continue
        evidence = list(f.evidence)
        if f.path in via:
            shown = ", ".join(via[f.path][:3]) + (f", +{len(via[f.path]) - 3} more" if len(via[f.path]) > 3 else "")
            line = "imports no torch-ecosystem package itself, only project-local torch-based code: " + shown
            evidence = [line] + [e for e in evidence if "by default" not in e]
        if st == "mindspore" and f.torch_libs:
            evidence.append(f"uses {', '.join(f.torch_libs)} only for configs, tokenizers or processors")
        if st == "partial":
            evidence.append(f"imports both {', '.join(f.torch_libs)} and {', '.join(f.ms_libs)}: partly converted")
        if st in ("torch", "partial", "unparseable") and (outputs_dir / f.path).is_file():
            evidence.append(f"outputs/{f.path} exists (status was {st}): continue from it")
            st = "in-outputs"
        libraries = f.ms_libs + f.torch_libs if st == "mindspore" else f.torch_libs
        file_warnings = list(f.warnings)
        if st in ("torch", "partial", "unparseable", "in-outputs"):
            for lib in missing_libraries(f, local_tops):
                line = (f"the torch original imports {lib}, not installed here: parity cannot run "
                        f"(pip install {pip_name(lib)})")
                file_warnings.append(line)
                warnings.append(f"{f.path}: {line}")
        entries.append(Entry(path=f.path, category=f.category, libraries=list(libraries), status=st,
                             evidence=evidence, warnings=file_warnings,
                             imports_local=sorted(set(local[f.path]) | set(_listed_reach(f.path, graph, listed)))))
    warnings += [f"{f.path}: {w}" for f in facts if f.skipped for w in f.warnings]
    entries.sort(key=lambda e: e.path)
    return entries, sorted(others), warnings
