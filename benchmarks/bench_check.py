"""Time `torch2ms check` (static, without --import) on 1,000-line files.

Target: under 1 s per 1,000-line file, so the check can run after every edit. Prints the wall
time of a warm check (API index cached, as for every check after the first) of a synthetic
1,000-line mint file, of mindone 0.5.0's own hand-written Llama port (about 1,000 lines), and the
share of it spent on the undefined-name analysis.

    .venv/bin/python benchmarks/bench_check.py [--repeat N]
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from torch2ms.check import check_source
from torch2ms.check.api_index import ApiIndex
from torch2ms.check.undefined import undefined_names

SYNTHETIC_HEADER = (
    "import mindspore as ms\nfrom mindspore import mint, nn, ops\n"
    "import mindspore.mint.nn.functional as F\n"
)
SYNTHETIC_BLOCK = (
    "def layer_{i}(x):\n"
    "    y = mint.matmul(x, x)\n"
    "    z = F.silu(y)  # activation\n"
    "    w = mint.cat([y, z], dim=-1)\n"
    "    return ops.softmax(w, axis=-1)\n\n"
)


def mindone_llama() -> tuple[str, str]:
    spec = importlib.util.find_spec("mindone")
    root = Path(list(spec.submodule_search_locations)[0])
    path = root / "transformers" / "models" / "llama" / "modeling_llama.py"
    return str(path), path.read_text()


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    index = ApiIndex()
    synthetic = SYNTHETIC_HEADER + "".join(SYNTHETIC_BLOCK.format(i=i) for i in range(170))
    llama_path, llama = mindone_llama()
    for name, source in (("synthetic mint file", synthetic), (llama_path, llama)):
        lines = source.count("\n")
        check_source(source, "bench.py", index=index)  # warm: API index built and cached
        whole = timed(lambda: check_source(source, "bench.py", index=index), args.repeat)
        tree = ast.parse(source)
        undefined = timed(lambda: undefined_names(source, tree), args.repeat)
        verdict = check_source(source, "bench.py", index=index).verdict
        print(f"{name}: {lines} lines, check {whole:.3f} s (median of {args.repeat}), "
              f"of which undefined-name {undefined:.3f} s; verdict {verdict}; target < 1 s per 1,000 lines: "
              f"{'met' if whole * 1000 / lines < 1.0 else 'MISSED'}")

    # The command as the hook runs it: a new process each time (interpreter start and imports).
    command = str(Path(sys.executable).with_name("torch2ms"))
    with tempfile.TemporaryDirectory() as ws:
        target = Path(ws) / "outputs" / "modeling_llama.py"
        target.parent.mkdir()
        shutil.copy(llama_path, target)
        run = lambda: subprocess.run([command, "check", "-q", "--workspace", ws, str(target)],
                                     capture_output=True, check=False)
        run()
        print(f"`torch2ms check -q` on that file, whole command: {timed(run, args.repeat):.2f} s "
              f"(median of {args.repeat})")


if __name__ == "__main__":
    main()
