"""Run model-written Python against tests in a separate, limited process.

The code runs in a fresh interpreter (``python -I``: no user site, no ``PYTHON*`` variables) in an
empty temporary directory, with an empty environment, a wall-clock timeout, and resource limits
(CPU seconds, address space, file size, open files). An audit hook installed before the model's
code runs refuses network access, new processes and writes outside the temporary directory; audit
hooks cannot be removed from inside the interpreter. This is a guard against accidents and
careless code, not a security boundary against a determined attacker: run untrusted checkpoints
inside a container or VM as well.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

__all__ = ["SandboxLimits", "SandboxResult", "run_python_tests"]


@dataclass(frozen=True)
class SandboxLimits:
    """Limits of one sandboxed run."""

    timeout_seconds: float = 10.0
    """Wall-clock limit; the process group is killed past it."""
    cpu_seconds: int = 5
    """RLIMIT_CPU."""
    memory_bytes: int = 512 * 1024 * 1024
    """RLIMIT_AS (address space)."""
    file_bytes: int = 1024 * 1024
    """RLIMIT_FSIZE: largest file the code may write."""
    open_files: int = 64
    """RLIMIT_NOFILE."""


@dataclass(frozen=True)
class SandboxResult:
    passed: bool
    """True when every test passed."""
    tests_passed: int
    tests_total: int
    detail: str
    """First failure (or the error that stopped the run), one line."""


# Runs inside the child. The audit hook goes in first, then the solution, then each test.
_HARNESS = r"""
import json, os, sys
with open("spec.json", encoding="utf-8") as _f:
    _spec = json.load(_f)
os.remove("spec.json")
try:
    import resource
    for _name, _value in _spec["limits"].items():
        resource.setrlimit(getattr(resource, _name), (_value, _value))
except (ImportError, AttributeError, ValueError, OSError):
    pass  # platform without these limits: the wall-clock timeout still applies
_ROOT = os.path.realpath(os.getcwd())
_BLOCKED = ("socket.", "subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
            "os.forkpty", "pty.", "ctypes.", "winreg.", "urllib.Request", "http.client.connect")
def _guard(event, args):
    if event.startswith(_BLOCKED):
        raise PermissionError(f"sandbox: {event} is not allowed")
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        mode = args[1] if len(args) > 1 and isinstance(args[1], str) else "r"
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        writing = any(c in mode for c in "wax+") or flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        path = os.fsdecode(args[0]) if not isinstance(args[0], int) else ""
        if writing and path and not os.path.realpath(path).startswith(_ROOT + os.sep):
            raise PermissionError(f"sandbox: writing {path} is not allowed")
sys.addaudithook(_guard)
_ns = {"__name__": "solution"}
_report = {"passed": 0, "total": len(_spec["tests"]), "detail": ""}
try:
    exec(compile(_spec["code"], "solution.py", "exec"), _ns)
except BaseException as exc:
    _report["detail"] = f"solution failed to load: {type(exc).__name__}: {exc}"
else:
    for _test in _spec["tests"]:
        try:
            if eval(compile(_test, "test", "eval"), _ns) is not True:
                _report["detail"] = _report["detail"] or f"failed: {_test}"
                continue
        except BaseException as exc:
            _report["detail"] = _report["detail"] or f"error in {_test}: {type(exc).__name__}: {exc}"
            continue
        _report["passed"] += 1
sys.stdout.write("\n@@" + _spec["nonce"] + "@@" + json.dumps(_report) + "\n")
sys.stdout.flush()
os._exit(0)  # no atexit handler or thread of the solution runs after the verdict
"""


def run_python_tests(code: str, tests: Sequence[str], limits: SandboxLimits | None = None) -> SandboxResult:
    """Load ``code`` and evaluate each test expression (must be ``True``) in a limited subprocess."""
    limits = limits or SandboxLimits()
    with tempfile.TemporaryDirectory(prefix="rlver-sandbox-") as tmp:
        nonce = secrets.token_hex(8)
        rlimits = {
            "RLIMIT_CPU": limits.cpu_seconds,
            "RLIMIT_AS": limits.memory_bytes,
            "RLIMIT_FSIZE": limits.file_bytes,
            "RLIMIT_NOFILE": limits.open_files,
            "RLIMIT_CORE": 0,
        }
        spec = {"code": code, "tests": list(tests), "nonce": nonce, "limits": rlimits}
        Path(tmp, "spec.json").write_text(json.dumps(spec), encoding="utf-8")
        Path(tmp, "harness.py").write_text(_HARNESS, encoding="utf-8")
        try:
            proc = subprocess.run(
                [sys.executable, "-I", "harness.py"],
                cwd=tmp,
                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=limits.timeout_seconds,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired:
            return SandboxResult(False, 0, len(tests), f"timed out after {limits.timeout_seconds:g}s")
    tag = f"@@{nonce}@@"
    marker = proc.stdout.rfind(tag)
    if marker < 0:
        if proc.returncode < 0:
            return SandboxResult(
                False, 0, len(tests), f"killed by signal {-proc.returncode} (CPU or memory limit)"
            )
        tail = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        return SandboxResult(False, 0, len(tests), f"process died ({tail[:200]})")
    report = json.loads(proc.stdout[marker + len(tag) :].strip())
    passed, total = int(report["passed"]), int(report["total"])
    return SandboxResult(passed == total and total > 0, passed, total, str(report["detail"])[:300])
