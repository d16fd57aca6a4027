"""Configs and requirement files: the project files that are not Python but name the torch stack.

    kind("configs/model/mnist.yaml")          # "config", "requirements" or None
    result = convert_text(text, rel)           # ConfigResult: code, edits, flags
    problems(text, rel)                        # what still keeps a converted one from done

A config (YAML, JSON, TOML) names torch-ecosystem classes as strings: Hydra's `_target_:
torch.optim.Adam`, Lightning CLI's `class_path: lightning.pytorch.callbacks.ModelCheckpoint`.
A name the mapping tables hold (`convert/mappings/*.yaml`, the ones Python code is converted
with) is rewritten to its target; transformers/diffusers/peft model classes move to mindone;
any other is marked `# TODO(torch2ms): ...` on its line (YAML, TOML) or, JSON having no
comments, reported. A requirement file (requirements*.txt, environment.yaml, pyproject.toml,
setup.cfg) gets the MindSpore stack for the torch one (configs.yaml `requirements`); a package
without a counterpart keeps its line, marked. Only the lines concerned change.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

TAG = "TODO(torch2ms)"  # markers.PREFIX without `# ` (markers.py imports libcst: the scan must not)

HERE = Path(__file__).parent


@functools.lru_cache(maxsize=1)
def data() -> dict:
    return yaml.safe_load((HERE / "configs.yaml").read_text(encoding="utf-8"))


@dataclass
class ConfigResult:
    code: str
    edits: list = field(default_factory=list)   # (line, before, after)
    flags: list = field(default_factory=list)   # (line, message, marked: bool)

    @property
    def found(self) -> int:
        return len(self.edits) + len(self.flags)


def kind(rel: str) -> str | None:
    """"requirements" for a file listing packages, "config" for a YAML/JSON/TOML file, else None."""
    path = PurePosixPath(rel)
    d = data()
    if any(fnmatch.fnmatch(path.name, p) or fnmatch.fnmatch("/".join(path.parts[-2:]), p)
           for p in d["requirement_files"]):
        return "requirements"
    return "config" if path.suffix in d["config_suffixes"] else None


@functools.lru_cache(maxsize=1)
def _ecosystem():
    from ..scan.config import ScanConfig

    return ScanConfig.default()


@functools.lru_cache(maxsize=1)
def _name_re() -> re.Pattern:
    tops = sorted(_ecosystem().torch, key=len, reverse=True)
    return re.compile(r"(?<![\w.\-/])(?:%s)(?:\.[A-Za-z_]\w*)+" % "|".join(re.escape(t) for t in tops))


def _torch_free(name: str) -> bool:
    eco = _ecosystem()
    return (any(name == m or name.startswith(m + ".") for m in eco.torch_free_modules)
            or name.rpartition(".")[2].endswith(eco.torch_free_suffixes))


def _code_part(line: str, comments: bool) -> str:
    """The line without its comment (YAML, TOML: from a `#` after a space or at the start)."""
    if not comments:
        return line
    m = re.search(r"(^|\s)#", line)
    return line[: m.start()] if m else line


def torch_names(text: str, rel: str) -> list:
    """(line number, name) of every torch-ecosystem dotted name in a config's values."""
    comments = not rel.endswith(".json")
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for m in _name_re().finditer(_code_part(line, comments)):
            if not _torch_free(m.group(0)):
                found.append((number, m.group(0)))
    return found


def map_name(name: str) -> tuple:
    """(target, None) for a name with a counterpart, (None, marker text) for one without."""
    from .mappings import default_table

    mapping = default_table().get(name)
    if mapping is not None and mapping.to:
        return mapping.to, None
    top = name.split(".")[0]
    d = data()
    if top in d["to_mindone"]:
        return f"mindone.{name}", None
    if top in d["no_counterpart"]:
        return None, f"{name}: {d['no_counterpart'][top]}"
    return None, f"{name} has no MindSpore mapping yet"


def convert_text(text: str, rel: str) -> ConfigResult:
    return (convert_requirements if kind(rel) == "requirements" else convert_config)(text, rel)


def _mark(line: str, message: str) -> str:
    body = line.rstrip("\r\n")
    return body + f"  # {TAG}: {message}" + line[len(body):]


def convert_config(text: str, rel: str) -> ConfigResult:
    json_file = rel.endswith(".json")
    result = ConfigResult(code=text)
    out = []
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        if TAG in line:
            out.append(line)
            continue
        code = _code_part(line, not json_file)
        new, messages = code, []
        for m in reversed(list(_name_re().finditer(code))):
            name = m.group(0)
            if _torch_free(name):
                continue
            target, message = map_name(name)
            if target:
                new = new[: m.start()] + target + new[m.end():]
                result.edits.append((number, name, target))
            else:
                messages.append(message)
        line = new + line[len(code):]
        for message in reversed(messages):
            if json_file:
                result.flags.append((number, message, False))
            else:
                line = _mark(line, message)
                result.flags.append((number, message, True))
        out.append(line)
    result.code = "".join(out)
    result.edits.sort()
    return result


_REQ_RE = re.compile(r"^(?P<indent>\s*(?:-\s+)?)(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<extras>\[[^\]]*\])?"
                     r"(?P<spec>\s*[=<>!~][^;#\s]*(?:\s*,\s*[=<>!~][^;#\s]*)*)?(?P<marker>\s*;[^#]*)?"
                     r"(?P<comment>\s*#.*)?$")
_QUOTED_RE = re.compile(r"""(?P<q>["'])(?P<req>[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?\s*(?:[=<>!~;][^"']*)?)(?P=q)""")


@functools.lru_cache(maxsize=1)
def _stack() -> frozenset:
    """The requirement strings the rewrite writes (`transformers==4.57.1` stays as it is)."""
    return frozenset(t for v in data()["requirements"].values() if v and v != "covered" for t in v.split(", "))


def _target(name: str, requirement: str = ""):
    if "".join(requirement.split()) in _stack():
        return False, None
    table = data()["requirements"]
    for key in (name, name.lower(), name.lower().replace("_", "-"), name.lower().replace("-", "_")):
        if key in table:
            return True, table[key]
    return False, None


def convert_requirements(text: str, rel: str) -> ConfigResult:
    """Package lines of the torch stack rewritten to the MindSpore one (see the module doc)."""
    result = ConfigResult(code=text)
    quoted = rel.endswith(".toml")
    conda = rel.endswith((".yaml", ".yml"))
    section = None
    emitted: set = set()
    out = []
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        body = line.rstrip("\r\n")
        end = line[len(body):]
        if TAG in line:
            out.append(line)
            continue
        if conda and re.match(r"^\S[^:]*:", body):
            section = body.split(":")[0].strip()
        if conda and section != "dependencies":
            out.append(line)
            continue
        if body.lstrip().startswith(("--", "-f ", "-i ")) and "pytorch.org" in body:
            out.append(f"# {body.strip()}  (the PyTorch wheel index: not needed for MindSpore){end}")
            result.edits.append((number, body.strip(), "commented out"))
            continue
        if quoted:
            if re.match(r"^\s*(\[|[\w.\-\"]+\s*=)", body):
                emitted = set()  # a new table or list of requirements: its own stack
            new, messages = body, []
            for m in reversed(list(_QUOTED_RE.finditer(body))):
                name = re.match(r"[A-Za-z0-9._-]+", m.group("req")).group(0)
                known, target = _target(name, m.group("req"))
                if not known:
                    continue
                if target is None:
                    messages.append(f"{name} has no MindSpore counterpart")
                    continue
                targets = [] if target == "covered" else [t for t in target.split(", ") if t not in emitted]
                emitted.update(targets)
                q = m.group("q")
                new = new[: m.start()] + ", ".join(f"{q}{t}{q}" for t in targets) + new[m.end():]
                result.edits.append((number, m.group("req"), ", ".join(targets) or
                                     ("removed (part of mindspore)" if target == "covered" else "removed (listed above)")))
            new = re.sub(r",\s*\]", "]", re.sub(r",\s*,", ",", re.sub(r"\[\s*,\s*", "[", new)))
            if new.strip() in (",", "") and body.strip():
                new = ""
            line = (new + end) if new or not body.strip() else ""
            for message in messages:
                line = _mark(line or body + end, message)
                result.flags.append((number, message, True))
            out.append(line)
            continue
        m = _REQ_RE.match(body)
        if not m or body.lstrip().startswith("#"):
            out.append(line)
            continue
        name = m.group("name")
        requirement = body.strip().lstrip("- ").strip()
        known, target = _target(name, _code_part(requirement, True))
        if not known:
            out.append(line)
            continue
        if target is None:
            message = f"{name} has no MindSpore counterpart: remove it once the code no longer uses it"
            out.append(_mark(line, message))
            result.flags.append((number, message, True))
            continue
        if target == "covered":
            out.append(f"{m.group('indent').replace('-', '#', 1) if '-' in m.group('indent') else '# '}"
                       f"{requirement}  (part of mindspore){end}")
            result.edits.append((number, requirement, "commented out (part of mindspore)"))
            continue
        targets = [t for t in target.split(", ") if t not in emitted]
        emitted.update(targets)
        if not targets:
            result.edits.append((number, requirement, "removed (listed above)"))
            continue
        marker = (m.group("marker") or "").strip()
        out += [f"{m.group('indent')}{t}{' ' + marker if marker else ''}{end}" for t in targets]
        result.edits.append((number, requirement, ", ".join(targets)))
    result.code = "".join(out)
    return result


def problems(text: str, rel: str) -> list:
    """What keeps a converted config or requirement file from being done: it does not parse,
    markers are left, torch-ecosystem names or packages are still there."""
    found = []
    if TAG in text:
        n = text.count(TAG)
        found.append(f"{n} {TAG} marker{'s' if n != 1 else ''} left")
    what = kind(rel)
    try:
        if rel.endswith(".json"):
            json.loads(text)
        elif rel.endswith((".yaml", ".yml")):
            list(yaml.safe_load_all(text))
        elif rel.endswith(".toml"):
            import tomllib
            tomllib.loads(text)
    except (ValueError, yaml.YAMLError) as exc:
        found.append(f"does not parse: {str(exc).splitlines()[0]}")
    if what == "requirements":
        left = [r for r in (convert_requirements(text, rel).edits) if r[2] != "commented out"]
        if left:
            found.append("still lists " + ", ".join(sorted({r[1] for r in left})))
    elif what == "config":
        left = [name for _, name in torch_names(text, rel)]
        if left:
            found.append("still names " + ", ".join(sorted(set(left))[:5]))
    return found
