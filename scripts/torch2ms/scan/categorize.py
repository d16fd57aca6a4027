"""Put a file in one category (Modeling, Data, Training, Inference) and say why.

Precedence, first match wins:
  Training   a training step: `x.backward()`, `optimizer.step()`, `value_and_grad`, a Trainer;
             or an entry point (`@hydra.main`, `if __name__ == "__main__"`, `LightningCLI(...)`)
             that calls `trainer.fit(...)` or a plain `train(...)` (signals.yaml `entry`)
  Data       defines at least as many Dataset/Sampler subclasses as model classes
  Modeling   defines model classes: subclasses of nn.Module, of any other `nn.*` class
             (`nn.Transformer`, `torch.nn.LSTM`), nn.Cell, PreTrainedModel, ...
  Inference  `no_grad`/`inference_mode`, `x.eval()`, `x.generate(...)`, `pipeline(...)`, or
             loads a model or its weights (`torch.load`, `load_state_dict`) and samples from
             it (`torch.multinomial`, `topk`, `argmax`); or an entry point that calls
             `trainer.test/validate/predict(...)` or loads a model (`torch.load`) and runs it
  Data       builds data pipelines: DataLoader, load_dataset, transforms.Compose, a
             LightningDataModule, ...
  Utility    the rest: torch helpers without a model class or a data set (a corpus reader,
             tensor functions); they need no parity spec
"""

from __future__ import annotations

import re

# Calls that count only in method form: `eval(...)` alone is the builtin.
METHOD_ONLY = {"eval", "generate", "step", "backward", "zero_grad"}
# The evidence line of a file that defines model classes (the report reads it back).
MODELS_EVIDENCE = re.compile(r"^defines (\d+) nn\.Module subclass(?:es)? \((.*)\)$")


def _join(items: list) -> str:
    items = list(dict.fromkeys(items))
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _names(names: list, limit: int = 4) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", +{len(names) - limit} more" if len(names) > limit else "")


def _short(receiver: str) -> str:
    return receiver if len(receiver) <= 40 else "..." + receiver[-37:]


class Signals:
    """What a file does, as collected by the detector (ast or token fallback)."""

    def __init__(self):
        self.calls: dict = {}  # name -> [(receiver or None, line)]
        self.ranges: list = []  # (context name, first line, last line)
        self.module_classes: list = []
        self.dataset_classes: list = []
        self.data_modules: list = []
        self.entries: list = []  # what makes the file a program: `@hydra.main`, a __main__ block
        self.top_level_work = False  # loads a model at module level (a flat script)

    def add_call(self, name: str, receiver, line: int) -> None:
        if receiver is None and name in METHOD_ONLY:
            return
        self.calls.setdefault(name, []).append((receiver, line))

    def add_range(self, name: str, first: int, last) -> None:
        self.ranges.append((name, first, last if last is not None else first))

    def add_classes(self, classes: list, config, nn_names=frozenset()) -> None:
        """Model, dataset and data-module classes, following bases defined in the same file.

        classes: (name, dotted bases); nn_names: names imported from an `nn` namespace
        (`from torch.nn import Transformer`)."""
        models, datasets, modules = set(), set(), set()

        def is_model_base(base: str) -> bool:
            parts = base.split(".")
            last = parts[-1]
            if last in config.not_modules:
                return False
            return (last in config.module_bases or last in models or last.endswith(config.module_base_suffixes)
                    or any(p in config.module_namespaces for p in parts[:-1])
                    or (len(parts) == 1 and base in nn_names))

        changed = True
        while changed:
            changed = False
            for name, bases in classes:
                if name in models or name in datasets or name in modules:
                    continue
                lasts = [b.rpartition(".")[2] for b in bases]
                if any(b in config.dataset_bases or b in datasets for b in lasts):
                    datasets.add(name)
                elif any(b in config.data_module_bases or b in modules for b in lasts):
                    modules.add(name)
                elif any(is_model_base(b) for b in bases):
                    models.add(name)
                else:
                    continue
                changed = True
        self.module_classes = [n for n, _ in classes if n in models]
        self.dataset_classes = [n for n, _ in classes if n in datasets]
        self.data_modules = [n for n, _ in classes if n in modules]

    def shown(self, name: str, suffix: str = "()") -> list:
        return [f"{_short(r)}.{name}{suffix}" if r else f"{name}{suffix}" for r, _ in self.calls.get(name, [])]


def _entry_point(sig: Signals, config) -> str | None:
    """How the file runs as a program ("an entry point (@hydra.main)"), or None."""
    marks = list(sig.entries) + [f"{c}(...)" for c in sorted(config.entry_calls) if c in sig.calls]
    if marks:
        return f"an entry point ({_join(marks[:2])})"
    return "a script (it loads a model at module level)" if sig.top_level_work else None


def categorize(sig: Signals, config) -> tuple:
    """(category, evidence lines), the deciding evidence first."""
    training = sig.shown("backward")
    training += [s for (r, _), s in zip(sig.calls.get("step", []), sig.shown("step"))
                 if r and any(k in r.lower() for k in config.step_receivers)]
    for name in sorted(config.training_calls - {"backward"}):
        training += sig.shown(name)
    strong_training = [s for s in training if not s.endswith("zero_grad()") and "clip_grad" not in s]

    n_models, n_data = len(sig.module_classes), len(sig.dataset_classes)
    models_line = (f"defines {n_models} nn.Module subclass{'es' if n_models != 1 else ''} "
                   f"({_names(sig.module_classes)})") if n_models else None
    data_line = (f"subclasses Dataset ({_names(sig.dataset_classes)})") if n_data else None

    contexts = sorted({name for name, _, _ in sig.ranges}
                      | {n for n in config.inference_contexts if n in sig.calls})
    generate = sig.calls.get("generate", [])
    under = [r for r, line in generate if any(a <= line <= b for _, a, b in sig.ranges)]
    inference = []
    if under:
        inference.append(f"calls {_short(under[0])}.generate under {contexts[0]}")
    elif generate:
        inference.append(f"calls {_join(sig.shown('generate'))}")
    others = sig.shown("eval") + sig.shown("pipeline")
    if others:
        inference.append(f"calls {_join(others[:3])}")
    if contexts and not under:
        inference.append(f"runs code under {_join(contexts)}")
    loads = [s for n in sorted(config.load_calls) for (r, _), s in zip(sig.calls.get(n, []), sig.shown(n))
             if n != "load" or (r or "").split(".")[0] in config.load_receivers]
    samples = [s for n in sorted(config.sample_calls) for s in sig.shown(n)]
    if loads and samples:
        inference.append(f"loads a model ({_join(loads[:2])}) and samples from it "
                         f"({_join(samples[:2])}) without a training step")
    data_calls = [s for n in sorted(config.data_calls) for s in sig.shown(n)]
    data_calls_line = f"calls {_join(data_calls[:3])}" if data_calls else None
    if sig.data_modules and not data_calls_line:
        data_calls_line = f"defines a data module ({_names(sig.data_modules)})"

    entry = _entry_point(sig, config)
    entry_training = [s for n in sorted(config.entry_train_calls) for (r, _), s in zip(sig.calls.get(n, []), sig.shown(n))
                      if n != "train" or r is None] if entry else []
    entry_eval = [s for n in sorted(config.entry_eval_calls) for (r, _), s in zip(sig.calls.get(n, []), sig.shown(n))
                  if r and any(k in r.lower() for k in config.entry_eval_receivers)] if entry else []
    entry_training += [f"{c}(...)" for c in sorted(config.entry_calls) if c in sig.calls]
    if entry and not entry_eval and not inference and loads:
        inference.append(f"{entry} that loads a model or its weights ({_join(loads[:2])}) and runs it")
    elif entry_eval:
        inference.insert(0, f"{entry} that calls {_join(entry_eval[:2])}")

    if strong_training:
        category, first = "Training", [f"calls {_join(training[:3])}"]
    elif entry_training:
        category, first = "Training", [f"{entry} that calls {_join(entry_training[:2])}"]
    elif n_data and n_data >= n_models:
        category, first = "Data", [data_line]
    elif n_models:
        category, first = "Modeling", [models_line]
    elif inference:
        category, first = "Inference", inference[:1]
        inference = inference[1:]
    elif data_calls_line:
        category, first = "Data", [data_calls_line]
    else:
        return "Utility", ["no model class, data set, data pipeline, training or inference found: "
                           "Utility (helpers; no parity spec needed)"]
    rest = [models_line, data_line, data_calls_line] + inference
    evidence = first + [x for x in rest if x and x not in first]
    return category, evidence[:3]
