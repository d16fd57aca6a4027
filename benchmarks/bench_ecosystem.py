"""What `torch2ms convert` makes of real files of each torch-ecosystem family.

    python benchmarks/bench_ecosystem.py [--mirror DIR] [--family NAME ...] [--convert-with DIR] [-v]

Reads every `benchmarks/ecosystem_corpus/<family>.yaml` (a list of `{repo: owner/name, commit:
<40 hex>, path: <file>}`), takes each file from the fetched mirror (`<mirror>/<owner>+<name>/repo`,
read with `git show commit:path`; a repository not fetched is reported and skipped), converts it
and prints per family: the references to the family's libraries found in the originals, how many
were converted (gone from the output), flagged (still there, under a marker) and left with no
marker, and the share converted. The corpus files themselves are never committed.

A reference is a name that resolves through the file's imports to one of the family's packages
(imports themselves do not count), a method or attribute of an object one of its classes built
(`accelerator.prepare`, `trainer.fit`, `llm.generate`), and `self.log`-style calls in a class
whose base is one of its classes; for `tokenizers`, each `return_tensors="pt"`. A reference left
in the output is flagged when its statement carries a `# TODO(torch2ms)` marker (on its line or
on the comment lines right above it) or when it lies in a class that carries one (a class kept on
its library as a whole).

`--convert-with DIR` converts with the torch2ms package found in DIR (for example the `scripts/`
folder of an older commit: `git archive <commit> scripts | tar -x -C /tmp/base`), while the
counting stays this checkout's: the figures of two versions are comparable.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import os
import subprocess
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))

from torch2ms.check.library_objects import types_of  # noqa: E402
from torch2ms.check.names import chains, dotted, import_bindings, nodes, qualify  # noqa: E402
from torch2ms.check.torch_left import rules  # noqa: E402

CORPUS = HERE / "ecosystem_corpus"
MARKER = "# TODO(torch2ms):"
# family -> its top-level packages (a family not listed is the package of its own name)
ROOTS = {
    "lightning": ("lightning", "pytorch_lightning", "lightning_fabric"),
    "vllm": ("vllm", "sglang"),
    "tokenizers": (),
}


@dataclass
class Counts:
    files: int = 0
    found: int = 0
    converted: int = 0
    flagged: int = 0
    unmarked: int = 0
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unmarked_lines: list[str] = field(default_factory=list)


def references(tree: ast.AST, roots: tuple[str, ...], family: str) -> list[ast.AST]:
    """The nodes of `tree` that refer to the family (see the module docstring)."""
    if family == "tokenizers":
        return [kw.value for n in nodes(tree) if isinstance(n, ast.Call) for kw in n.keywords
                if kw.arg == "return_tensors" and isinstance(kw.value, ast.Constant) and kw.value.value == "pt"]
    bound = {b.name: b.qualname for b in import_bindings(tree)}
    types = types_of(tree, bound)
    self_methods = set(rules()["library_self_methods"])
    kept = _library_classes(tree, bound, roots)
    out = []
    for node, chain in chains(tree):
        q = qualify(chain, bound)
        if q is not None and q.split(".", 1)[0] in roots:
            out.append(node)
            continue
        if "." not in chain:
            continue
        head, _, last = chain.rpartition(".")
        if head == "self":
            if last in self_methods and kept.get(id(node)):
                out.append(node)
            continue
        kind = types.of(head)
        if kind is not None and kind[0] == "torch" and kind[1].split(".", 1)[0] in roots:
            out.append(node)
    return out


def _library_classes(tree, bound, roots) -> dict[int, bool]:
    """id(node) -> True for the nodes inside a class whose base is one of the family's classes."""
    inside = {}
    for cls in (n for n in nodes(tree) if isinstance(n, ast.ClassDef)):
        bases = [qualify(dotted(b) or "", bound) for b in cls.bases]
        if any(b and b.split(".", 1)[0] in roots for b in bases):
            for child in ast.walk(cls):
                inside[id(child)] = True
    return inside


def _marker_lines(source: str) -> set[int]:
    lines = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT and tok.string.startswith(MARKER):
                lines.add(tok.start[0])
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return lines


def _statement_marked(stmt: ast.stmt, markers: set[int], text_lines: list[str]) -> bool:
    first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
    if stmt.lineno in markers or first in markers:
        return True
    line = first - 1  # the comment lines right above the statement
    while line >= 1 and text_lines[line - 1].lstrip().startswith("#"):
        if line in markers:
            return True
        line -= 1
    return False


def classify(output: str, tree: ast.AST, refs: list[ast.AST]) -> tuple[int, list[int]]:
    """(flagged, lines of the references left with no marker) for references found in `output`
    (`tree` is its syntax tree, which holds the reference nodes)."""
    parents = {}
    for node in nodes(tree):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
    markers = _marker_lines(output)
    text_lines = output.splitlines()
    flagged, unmarked = 0, []
    for ref in refs:
        node, innermost, marked = ref, None, False
        while id(node) in parents:
            node = parents[id(node)]
            if isinstance(node, ast.stmt):
                if innermost is None:
                    innermost = node
                    marked = _statement_marked(node, markers, text_lines)
                elif isinstance(node, ast.ClassDef) and _statement_marked(node, markers, text_lines):
                    marked = True
            if marked:
                break
        if marked:
            flagged += 1
        else:
            unmarked.append(ref.lineno)
    return flagged, unmarked


def _git_show(mirror: Path, repo: str, commit: str, path: str) -> str | None:
    git_dir = mirror / repo.replace("/", "+") / "repo"
    if not git_dir.is_dir():
        return None
    proc = subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"],
                          capture_output=True, text=True)
    return proc.stdout if proc.returncode == 0 else None


_CONVERT = ("import json, sys\nfrom torch2ms.convert.engine import convert_source\n"
            "r = convert_source(sys.stdin.read())\n"
            "print(json.dumps({'code': r.code, 'error': r.error}))\n")


def convert(source: str, convert_with: str | None) -> tuple[str, str | None]:
    if convert_with is None:
        from torch2ms.convert.engine import convert_source

        r = convert_source(source)
        return r.code, r.error
    env = {**os.environ, "PYTHONPATH": convert_with}
    proc = subprocess.run([sys.executable, "-c", _CONVERT], input=source, capture_output=True,
                          text=True, env=env, cwd="/")
    if proc.returncode != 0:
        return source, (proc.stderr.strip().splitlines() or ["failed"])[-1]
    data = json.loads(proc.stdout)
    return data["code"], data["error"]


def run_family(family: str, entries: list[dict], mirror: Path, convert_with: str | None) -> Counts:
    roots = ROOTS.get(family, (family,))
    counts = Counts()
    for e in entries:
        shown = f"{e['repo']}:{e['path']}"
        source = _git_show(mirror, e["repo"], e["commit"], e["path"])
        if source is None:
            counts.missing.append(shown)
            continue
        counts.files += 1
        try:
            found = references(ast.parse(source), roots, family)
        except SyntaxError as exc:
            counts.errors.append(f"{shown}: does not parse: {exc.msg}")
            continue
        code, error = convert(source, convert_with)
        if error:
            counts.errors.append(f"{shown}: {error}")
            code = source
        try:
            tree = ast.parse(code)
            left = references(tree, roots, family)
            flagged, unmarked = classify(code, tree, left)
        except SyntaxError as exc:
            counts.errors.append(f"{shown}: output does not parse: {exc.msg}")
            left, flagged, unmarked = found, 0, [r.lineno for r in found]
        counts.found += len(found)
        counts.converted += max(len(found) - len(left), 0)
        counts.flagged += flagged
        counts.unmarked += len(unmarked)
        counts.unmarked_lines += [f"{shown}:{line}" for line in unmarked]
    return counts


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", default="/work/.mirror", help="folder of fetched repositories")
    parser.add_argument("--family", action="append", help="only these families (repeatable)")
    parser.add_argument("--convert-with", metavar="DIR",
                        help="convert with the torch2ms package in DIR (an older version's scripts/)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the unmarked references")
    args = parser.parse_args(argv)
    families = sorted(p.stem for p in CORPUS.glob("*.yaml"))
    if args.family:
        unknown = sorted(set(args.family) - set(families))
        if unknown:
            print(f"bench_ecosystem: no corpus for {', '.join(unknown)} in {CORPUS}", file=sys.stderr)
            return 2
        families = [f for f in families if f in args.family]
    print(f"converter: {args.convert_with or 'this checkout'}")
    print("| family | files | references | converted | flagged with a marker | left with no marker | converted share |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    notes = []
    for family in families:
        entries = yaml.safe_load((CORPUS / f"{family}.yaml").read_text(encoding="utf-8")) or []
        c = run_family(family, entries, Path(args.mirror), args.convert_with)
        share = f"{100 * c.converted / c.found:.0f}%" if c.found else "-"
        print(f"| {family} | {c.files} | {c.found} | {c.converted} | {c.flagged} | {c.unmarked} | {share} |",
              flush=True)
        notes += [f"{family}: not fetched, skipped: {m}" for m in c.missing]
        notes += [f"{family}: conversion error: {e}" for e in c.errors]
        if args.verbose:
            notes += [f"{family}: no marker: {where}" for where in c.unmarked_lines]
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
