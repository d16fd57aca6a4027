"""The two primitives the commands rest on: write_atomic (every user-visible write) and
run_bounded (every per-file conversion and check)."""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import threading

import pytest
from torch2ms.bounded import Bounds, run_bounded
from torch2ms.fsio import decode_source, write_atomic


def test_write_atomic_on_a_full_disk_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "model.py"
    target.write_text("old, whole\n")
    target.chmod(0o640)
    real_write = os.write

    def full_after_4_bytes(fd, data):
        if len(data) > 4:
            real_write(fd, bytes(data[:4]))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_after_4_bytes)
    with pytest.raises(OSError) as info:
        write_atomic(target, "new and much longer content\n")
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(target)
    assert target.read_text() == "old, whole\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.py"]
    monkeypatch.undo()
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n" and stat.S_IMODE(target.stat().st_mode) == 0o640


def test_decode_source_follows_pep_263():
    assert decode_source(b"# coding: latin-1\nx = '\xe9'\n").text == "# coding: latin-1\nx = '\xe9'\n"
    bom = decode_source(b"\xef\xbb\xbfx = 1\r\ny = 2\r\n")
    assert (bom.text, bom.newline, bom.encode("z = 3\n")) == ("x = 1\ny = 2\n", "\r\n", b"\xef\xbb\xbfz = 3\r\n")
    with pytest.raises(ValueError, match="not UTF-8"):
        decode_source(b"x = '\xe9'\n")
    with pytest.raises(ValueError):
        decode_source(b"# coding: no-such-codec\n")


def _job(kind):
    if kind == "crash":
        ctypes.string_at(0)
    if kind == "hang":
        threading.Event().wait()  # never returns: no machine is fast enough to meet the bound
    if kind == "grow":
        hog = [b"x" * (1 << 20) for _ in range(2000)]  # touched pages: resident
        return len(hog)
    if kind == "raise":
        raise ValueError("bad input\nsecond line")
    if kind == "memory":
        raise MemoryError
    return kind.upper()


# The time bound of the first run is one no job of it gets near, however loaded the machine: only
# the job that can never finish meets a time bound, in its own run.
NO_TIME_LIMIT = 3600


def test_run_bounded_reports_each_failure_alone_and_goes_on():
    kinds = ["ok", "crash", "grow", "raise", "memory", "also"]
    got = dict(run_bounded(_job, kinds, workers=2, bounds=Bounds(timeout=NO_TIME_LIMIT, memory_mb=200)))
    assert sorted(got) == list(range(len(kinds)))
    assert got[0].ok and got[0].value == "OK" and got[5].ok and got[5].value == "ALSO"
    assert got[1].error.startswith("its worker process died (SIGSEGV")
    assert got[2].error == "stopped at the memory limit (200 MB)" or "MemoryError" in got[2].error
    assert got[3].error == "ValueError: bad input"
    assert got[4].error == "MemoryError"


def test_run_bounded_stops_a_job_past_its_time_bound():
    got = dict(run_bounded(_job, ["hang"], workers=1, bounds=Bounds(timeout=1, memory_mb=200)))
    assert got[0].error == "stopped after the time limit (1 s)"


def test_run_bounded_with_nothing_to_do():
    assert list(run_bounded(_job, [], workers=2)) == []
