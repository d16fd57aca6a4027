"""Hostile and careless inputs against the installed `torch2ms`: crafted run specs, trackers,
file names, hook payloads and process tricks; one line per case, `holds` or `FAILS`.

    python benchmarks/adversarial_pass.py

Everything happens in a temporary folder; processes a case starts carry a mark in their
environment, and any left after a case are counted (a survivor fails the case) and killed.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

T = os.path.join(os.path.dirname(sys.executable), "torch2ms")
ROOT = tempfile.mkdtemp(prefix="torch2ms-adversarial-")
B = ROOT + "/w"
results = []
def sh(args, timeout=120, inp=None, cwd=None):
    try:
        p = subprocess.run(args, capture_output=True, timeout=timeout, input=inp, cwd=cwd or B)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return "TIMEOUT", "", ""
def oneline(rc, err):
    lines = [l for l in err.splitlines() if l.strip()]
    return rc == 2 and len(lines) == 1 and lines[0].startswith("torch2ms ") and "Traceback" not in err
def case(name, ok, detail=""):
    results.append((name, "holds" if ok else "FAILS", detail[:110].replace("\n", " ")))
def fresh():
    shutil.rmtree(B, ignore_errors=True)
    os.makedirs(B + "/proj/data")
    open(B + "/proj/model.py", "w").write("import torch\nfrom torch import nn\n\nclass Net(nn.Module):\n    def forward(self, x):\n        return torch.tanh(x)\n")
    open(B + "/proj/train.py", "w").write("import torch\nx = torch.ones(1)\n")
    open(B + "/proj/data/x.txt", "w").write("1\n")
    sh([T, "scan", "proj"])
def spec(text, extra=()):
    open(B + "/proj/train.run.yaml", "w").write(text)
    return sh([T, "parity-run", "proj/train.py", "proj/train.py", "--spec", "proj/train.run.yaml", *extra])

fresh()
outside = ROOT + "/outside.txt"; open(outside, "w").write("keep\n")
for label, text in [("files ~ path", 'files: ["~/.bashrc"]\n'), ("files data/../../x", 'files: ["data/../../outside.txt"]\n'),
                    ("files empty string", 'files: [""]\n'), ("files '.'", 'files: ["."]\n'),
                    ("files NUL byte", 'files: ["data/x\\x00.txt"]\n'), ("port_files ../../", 'port_files: ["../../outside.txt"]\n'),
                    ("files not a list (int)", 'files: 123\n'), ("files a mapping entry", 'files: [{a: 1}]\n'),
                    ("files backslash climb", 'files: ["data\\\\..\\\\..\\\\outside.txt"]\n')]:
    rc, out, err = spec(text)
    case(f"spec {label}", oneline(rc, err) and open(outside).read() == "keep\n", err.strip().splitlines()[-1] if err.strip() else str(rc))
os.mkfifo(B + "/proj/data/fifo")
rc, out, err = spec('files: ["data/fifo"]\n')
case("spec files names a FIFO", rc != "TIMEOUT" and oneline(rc, err), err.strip()[-110:] if err.strip() else str(rc))
os.unlink(B + "/proj/data/fifo")
rc, out, err = sh([T, "parity-run", "proj/train.py", "proj/train.py", "--files", "/etc/hostname"])
case("parity-run --files absolute", oneline(rc, err), err.strip())
os.makedirs(ROOT + "/bigdata", exist_ok=True); open(ROOT + "/bigdata/d.txt", "w").write("d\n")
os.symlink(ROOT + "/bigdata", B + "/proj/linked")
rc, out, err = spec('files: ["linked/d.txt"]\n')
case("spec files through the user's own symlink (allowed)", "files entry" not in err, (err.strip().splitlines() or [""])[-1])

# trackers
trk = B + "/files_to_convert.md"
base = open(trk).read()
def with_tracker(text, args=("next",), timeout=60):
    open(trk, "w").write(text)
    return sh([T, *args], timeout=timeout)
line = next(l for l in base.splitlines() if l.startswith("- [ ] `model.py`"))
for label, key in [("backslash climb key", "..\\\\secret.py"), ("drive letter key", "C:/x.py"), ("double slash key", "a//b.py"), ("key ~", "~/x.py")]:
    bad = base.replace(line, line + "\n" + line.replace("model.py", key.replace("\\\\", "\\")))
    rc, out, err = with_tracker(bad)
    case(f"tracker {label}", oneline(rc, err) and open(trk).read() == bad, err.strip())
bad = base + "\n### `../x.py`\n- r\n"
rc, out, err = with_tracker(bad, ("edit", "model.py", "-m", "x"))
case("tracker Edits heading ../", oneline(rc, err) and open(trk).read() == bad, err.strip())
rc, out, err = with_tracker("")
case("tracker of 0 bytes", oneline(rc, err), err.strip())
rc, out, err = with_tracker(base.replace("## Files", "## Files\x00"))
case("tracker with a NUL in a heading", oneline(rc, err), err.strip())
rc, out, err = with_tracker(base.replace("\n", "\r"))
case("tracker with CR-only line ends", oneline(rc, err), err.strip())
rc, out, err = with_tracker(base.replace("- [ ] `model.py`", "- [X] `model.py`"), ("edit", "train.py", "-m", "y"))
case("tracker uppercase [X] tick kept", rc == 0 and "- [x] `model.py`" in open(trk).read(), str(rc))
open(trk, "w").write(base)
os.unlink(trk); os.mkfifo(trk)
rc, out, err = sh([T, "next"], timeout=20)
case("tracker is a FIFO", rc != "TIMEOUT" and oneline(rc, err), err.strip() or str(rc))
os.unlink(trk); open(trk, "w").write(base)
os.chmod(trk, 0o444)
rc, out, err = sh([T, "edit", "model.py", "-m", "ro"])
case("read-only tracker file (root writes anyway: atomic rename)", rc in (0, 2) and "Traceback" not in err, err.strip() or str(rc))
os.chmod(trk, 0o644)
big = "x" * (100 << 10)
rc, out, err = sh([T, "edit", "model.py", "-m", big])
case("edit -m of 100 KiB", rc == 0 and "Traceback" not in err, str(rc))
rc, out, err = sh([T, "edit", "model.py", "--blocked", ""])
case("edit --blocked empty reason", rc in (0, 2) and "Traceback" not in err, (out + err).strip()[:110])
rc, out, err = sh([T, "edit", "model.py", "-m", "a\u2028b\rc\x0bd"])
t = open(trk).read()
case("edit -m with U+2028, CR, VT (one record per line)", rc == 0 and "\n- a\n- b\n- c\n- d\n" in t, str(rc))

# names
fresh()
for nm in ["-rf.py", "a b.py", "r\u00e9sum\u00e9.py", "x;rm -rf ~.py", "$(touch pwned).py", "`id`.py"]:
    open(B + "/proj/" + nm, "w").write("import torch\ny = torch.zeros(1)\n")
rc, out, err = sh([T, "scan", "proj"])
case("names: -rf.py, spaces, accents, shell metachars scanned", rc == 0 and "Traceback" not in err, str(rc))
rc, out, err = sh([T, "convert", "proj"])
case("names: folder convert of them", rc in (0, 1) and os.path.exists(B + "/outputs/$(touch pwned).py") and not os.path.exists(B + "/pwned"), str(rc))
rc, out, err = sh([T, "done", "--", "-rf.py"])
case("done -- -rf.py (option-like name)", "Traceback" not in err and rc in (0, 1, 2), (out + err).strip()[:110])
os.makedirs(B + "/proj/outputs"); open(B + "/proj/outputs/inner.py", "w").write("import torch\n")
rc, out, err = sh([T, "scan", "proj"])
case("input holds a folder named outputs", "Traceback" not in err and rc in (0, 2), (out + err).strip().splitlines()[-1][:110])
bt = ROOT + "/pro`j"
shutil.rmtree(bt, ignore_errors=True); os.makedirs(bt); open(bt + "/m.py", "w").write("import torch\n")
rc, out, err = sh([T, "scan", bt, "--workspace", ROOT + "/btws"])
rc2, out2, err2 = sh([T, "next", "--workspace", ROOT + "/btws"])
case("input folder name with a backtick", "Traceback" not in err + err2 and (rc == 0 and rc2 == 0 or oneline(rc, err)), (err or out2).strip()[:110])
nu = ROOT + "/n\udcff"
shutil.rmtree(nu.encode("utf-8", "surrogateescape"), ignore_errors=True); os.makedirs(nu.encode("utf-8", "surrogateescape"))
open((nu + "/m.py").encode("utf-8", "surrogateescape"), "w").write("import torch\n")
rc, out, err = sh([T, "scan", nu.encode("utf-8", "surrogateescape"), "--workspace", ROOT + "/nuws"])
case("input folder itself named with a non-UTF-8 byte", "Traceback" not in err and (rc == 0 or oneline(rc, err)), (err or out).strip().splitlines()[-1][:110])

# processes
fresh()
def runscript(code, timeout_s="5", wait=120):
    open(B + "/s.py", "w").write(code)
    mark = f"adv-{time.time()}"
    env = dict(os.environ, ADV_MARK=mark)
    start = time.monotonic()
    try:
        p = subprocess.run([T, "run", "--timeout", timeout_s, "--", B + "/s.py"], capture_output=True, env=env,
                           timeout=wait, cwd=B)
    except subprocess.TimeoutExpired:  # the bound did not hold at all
        p = subprocess.CompletedProcess([], "TIMEOUT")
    took = time.monotonic() - start
    time.sleep(0.5)
    left = []
    for n in os.listdir("/proc"):
        if n.isdigit():
            try:
                if mark.encode() in open(f"/proc/{n}/environ", "rb").read():
                    st = open(f"/proc/{n}/stat", "rb").read().rsplit(b")", 1)[1].split()[0]
                    if st != b"Z":
                        left.append(int(n))
            except OSError:
                pass
    for pid in left:
        try: os.kill(pid, 9)
        except OSError: pass
    return p, left, took
P = "import os, sys, time, subprocess, signal\n"
tests = [
 ("double fork + setsid daemon", P + "if os.fork()==0:\n    os.setsid()\n    if os.fork()==0:\n        time.sleep(300)\n    os._exit(0)\ntime.sleep(300)\n"),
 ("ignores SIGTERM and SIGINT, hangs", P + "signal.signal(signal.SIGTERM, signal.SIG_IGN)\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(300)\n"),
 ("50 children in a burst", P + "[subprocess.Popen([sys.executable,'-c','import time;time.sleep(300)'], start_new_session=(i%2==0)) for i in range(50)]\ntime.sleep(300)\n"),
 ("own process group (setpgid)", P + "if os.fork()==0:\n    os.setpgid(0,0)\n    time.sleep(300)\ntime.sleep(300)\n"),
 ("daemon with closed stdio", P + "if os.fork()==0:\n    os.setsid(); os.close(0); os.close(1); os.close(2)\n    time.sleep(300)\nos._exit(0)\n"),
 ("grandchild makes itself subreaper", P + "import ctypes\nif os.fork()==0:\n    ctypes.CDLL(None).prctl(36,1,0,0,0)\n    if os.fork()==0:\n        os.setsid(); time.sleep(300)\n    time.sleep(300)\ntime.sleep(300)\n"),
 ("script exits 0 at once, leaves setsid daemon", P + "subprocess.Popen([sys.executable,'-c','import time;time.sleep(300)'], start_new_session=True)\n"),
 ("script kills its reaper, then starts a setsid daemon", P + "os.kill(os.getppid(), 9)\ntime.sleep(0.5)\nsubprocess.Popen([sys.executable,'-c','import time;time.sleep(300)'], start_new_session=True)\ntime.sleep(300)\n"),
 ("SIGSTOPped grandchild", P + "p=subprocess.Popen([sys.executable,'-c','import time;time.sleep(300)'], start_new_session=True)\nos.kill(p.pid, signal.SIGSTOP)\ntime.sleep(300)\n"),
]
for label, code in tests:
    p, left, took = runscript(code)
    case(f"run --timeout: {label}", not left, f"survivors {len(left)}, rc {p.returncode}, {took:.1f} s")
for label, val in [("run --timeout 0", "0"), ("run --timeout -1", "-1"), ("run --timeout nan", "nan")]:
    open(B + "/s.py", "w").write("print(1)\n")
    rc, out, err = sh([T, "run", "--timeout", val, "--", B + "/s.py"], timeout=120)
    case(label, "Traceback" not in err and rc != "TIMEOUT", f"rc {rc} {err.strip()[:80]}")

# hook
for label, payload in [("hook file_path with NUL", json.dumps({"tool_input": {"file_path": B + "/outputs/a\x00.py"}})),
                       ("hook cwd is a list", json.dumps({"tool_input": {"file_path": "outputs/m.py"}, "cwd": [1]})),
                       ("hook 5 MB payload", json.dumps({"tool_input": {"file_path": "x" * (5 << 20) + ".py"}})),
                       ("hook notebook_path .ipynb", json.dumps({"tool_input": {"notebook_path": B + "/outputs/n.ipynb"}})),
                       ("hook invalid UTF-8 bytes", b'{"tool_input": {"file_path": "\xff.py"}}')]:
    rc, out, err = sh([T, "check", "--hook"], inp=payload if isinstance(payload, bytes) else payload.encode())
    case(label, rc == 0 and not err.strip(), f"rc {rc} {err.strip()[:80]}")

# report
fresh()
t = open(trk).read().replace("· Modeling ·", "· <script>alert(1)</script> ·")
open(trk, "w").write(t)
rc, out, err = sh([T, "report"])
r = open(B + "/conversion_report.md").read() if os.path.exists(B + "/conversion_report.md") else ""
case("report: hand-edited category with <script>", rc == 0 and "<script>" not in r and "<script>" not in open(B + "/report.md").read(), f"rc {rc}")

for name, verdict, detail in results:
    print(f"{verdict:6} | {name} | {detail}")
print(sum(v == "holds" for _, v, _ in results), "of", len(results), "hold")
shutil.rmtree(ROOT, ignore_errors=True)
sys.exit(0 if all(v == "holds" for _, v, _ in results) else 1)
