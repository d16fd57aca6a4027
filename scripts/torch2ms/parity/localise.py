"""Finding the first sub-module whose computation diverges.

Both models run once more with hooks on every sub-module (torch `register_forward_pre_hook` /
`register_forward_hook`, MindSpore's Cell hooks of the same names, which fire in PyNative mode).
Each side yields a timeline of events: a call starts (its inputs, positional and keyword, and
the module that was running when it was called) and a call ends (its output). Calls are matched
by module name and call count, and the torch timeline is walked in order:

- a call whose inputs already differ: the fault is in its caller's own code, which computed
  those inputs after everything observed before had agreed;
- a call whose inputs agree and whose output differs, all its sub-calls having agreed: the
  fault is in that module's own code.
The first such event names the module.
"""

from __future__ import annotations

import dataclasses

from torch2ms.parity.metrics import LeafResult, compare_leaves
from torch2ms.parity.values import flatten


@dataclasses.dataclass
class Call:
    name: str
    index: int  # how many times this module ran before
    kind: str  # class name
    caller: str | None  # the module running when this one was called (None for the outermost)
    inputs: dict
    output: dict = dataclasses.field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.index)


@dataclasses.dataclass
class Divergence:
    module: str  # torch name of the module whose own code diverges
    evidence: str  # "output" (its output differs) or "inputs" (a callee's inputs differ)
    call: str  # torch name of the call where the difference was seen
    call_index: int
    torch_class: str
    ms_class: str
    ms_call: str
    results: list[LeafResult]
    compared: int  # events that agreed before this one

    def summary(self) -> str:
        label = self.module or "<root>"
        lines = [f"first diverging sub-module: {label}"]
        call = self.call or "<root>"
        nth = f" (call {self.call_index + 1})" if self.call_index else ""
        ms_note = "" if self.ms_call == self.call else f" (mindspore: {self.ms_call or '<root>'})"
        if self.evidence == "output":
            lines.append(
                f"  {call}{nth}{ms_note} [{self.torch_class} / {self.ms_class}]: its inputs and all its "
                "sub-module calls agree, its output differs: the fault is in its own code"
            )
        else:
            lines.append(
                f"  the inputs of {call}{nth}{ms_note} [{self.torch_class} / {self.ms_class}] already differ: "
                f"the fault is in {label}'s own code before that call"
            )
        lines += ["  " + r.line() for r in self.results if not r.ok][:4]
        lines.append(f"  ({self.compared} earlier checks of module inputs and outputs agreed)")
        return "\n".join(lines)


def _record(named_modules, register_pre, register_post):
    """Hook every module; returns the event list [("start"|"end", Call)] and the hook handles."""
    events: list[tuple[str, Call]] = []
    counts: dict[str, int] = {}
    stack: list[Call] = []
    handles = []

    def make_hooks(name):
        def pre(module, args, kwargs):
            index = counts.get(name, 0)
            counts[name] = index + 1
            inputs = {**flatten(tuple(args)), **flatten(dict(kwargs or {}))}
            call = Call(name, index, type(module).__name__, stack[-1].name if stack else None, inputs)
            stack.append(call)
            events.append(("start", call))

        def post(module, args, kwargs, output):
            # pop up to this module's own call (a forward that raised may leave others behind)
            while stack and stack[-1].name != name:
                stack.pop()
            call = stack.pop() if stack else Call(name, counts.get(name, 1) - 1, type(module).__name__, None, {})
            call.output = flatten(output)
            events.append(("end", call))

        return pre, post

    for name, module in named_modules:
        pre, post = make_hooks(name)
        handles.append(register_pre(module, pre))
        handles.append(register_post(module, post))
    return events, handles


def _run_hooked(named_modules, run):
    events, handles = _record(
        named_modules,
        lambda m, h: m.register_forward_pre_hook(h, with_kwargs=True),
        lambda m, h: m.register_forward_hook(h, with_kwargs=True),
    )
    try:
        run()
    finally:
        for h in handles:
            h.remove()
    return events


def record_torch(module, run):
    return _run_hooked(list(module.named_modules()), run)


def record_ms(cell, run):
    import mindspore

    if mindspore.get_context("mode") != mindspore.PYNATIVE_MODE:
        raise RuntimeError("localising a divergence needs PyNative mode (Cell hooks do not fire in graph mode)")
    return _run_hooked(list(cell.cells_and_names()), run)


def module_name_map(name_map: dict[str, str]) -> dict[str, str]:
    """torch module name -> ms module name, derived from the parameter renames."""
    modules = {}
    for t_name, m_name in name_map.items():
        t_mod, m_mod = t_name.rpartition(".")[0], m_name.rpartition(".")[0]
        if t_mod != m_mod:
            modules.setdefault(t_mod, m_mod)
    return modules


def _common(a: dict, b: dict) -> tuple[dict, dict]:
    # an argument passed by position on one side and by keyword on the other is not compared
    paths = [p for p in a if p in b]
    return {p: a[p] for p in paths}, {p: b[p] for p in paths}


def first_divergence(torch_events, ms_events, table, name_map=None) -> Divergence | None:
    renames = module_name_map(name_map or {})
    ms_calls = {call.key: call for kind, call in ms_events if kind == "start"}
    compared = 0
    for kind, call in torch_events:
        ms_name = renames.get(call.name, call.name)
        other = ms_calls.get((ms_name, call.index))
        if other is None:  # a module the port does not have or does not call
            continue
        if kind == "start":
            results = compare_leaves(*_common(call.inputs, other.inputs), table, check_dtype=False)
            module, evidence = call.caller, "inputs"
        else:
            # dtype differences are reported by the final comparison, not here
            results = compare_leaves(call.output, other.output, table, check_dtype=False)
            module, evidence = call.name, "output"
        if all(r.ok for r in results):
            compared += 1
            continue
        if module is None:  # the outermost call's own inputs: the caller of compare() passed them
            module = call.name
        return Divergence(module, evidence, call.name, call.index, call.kind, other.kind, ms_name, results, compared)
    return None
