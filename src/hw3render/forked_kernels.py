"""Kernels forked from one warm process, so that a chapter does not pay for importing torch.

A cached chapter's execution is mostly start-up: a fresh Python imports ipykernel, torch,
torchvision, matplotlib and pandas (about 6 s of CPU on this 2-core machine) before its
first cell does any work, and the book has eight chapters. Here one process (the preloaded parent)
imports those libraries once, touching nothing that holds state (no tensor op, no figure,
no ZMQ context, no thread), and each kernel is a `fork` of it that then starts ipykernel
on its own connection file, in its own session, environment and folder. What a chapter
sees is still a fresh kernel, as Quarto gives every document (nothing of another chapter
is in it); only its `import torch` finds the module already loaded. The same design runs
the Sage cell server's kernels (sagemath/sagecell, `forking_kernel_manager.py`).

`PreloadedParent` is the render's side: it starts the process and asks it for kernels over a pipe,
one JSON line each way. `ForkedKernel` stands in for the `Popen` that jupyter_client's
`LocalProvisioner` keeps (poll, wait, signals), and `ForkingProvisioner` is that provisioner
launching through the preloaded parent. Linux only: elsewhere `fork` after importing these libraries
is not safe (macOS) or not there (Windows), and kernels start the usual way.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner

from hw3core.errors import UserError

# What every chapter imports (directly or through hw3core); importing has no side effect
# that a chapter could see. hw3core itself is not preloaded: a chapter must import the
# package as it is on disk, and its settings are read from the kernel's environment.
PRELOAD = ("numpy", "pandas", "matplotlib.pyplot", "torch", "torchvision", "sklearn.metrics", "ipykernel.kernelapp")
SUPPORTED = sys.platform == "linux"
# Every kernel's own log shows only what is fatal (hw3render.execute says why).
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=CRITICAL",)


def serve(requests: Any = sys.stdin, replies: Any = sys.stdout) -> None:
    """The preloaded parent's loop: for each request line, fork a kernel and reply with its pid.

    With SIGCHLD ignored here the operating system reaps each kernel when it exits, so none
    lingers as a zombie (a kernel resets it, for its own subprocesses).
    """
    for name in PRELOAD:
        importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    replies.write(json.dumps({"ready": True}) + "\n")
    replies.flush()
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _become_kernel(request)  # never returns
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()


def _become_kernel(request: dict[str, Any]) -> None:
    """In the forked child: the kernel's own session, streams, environment and folder, then ipykernel."""
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # a chapter's subprocess.run must be able to wait
        os.setsid()  # its own process group, which jupyter_client signals to interrupt or kill it
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # the request pipe is the preloaded parent's, not the kernel's
        os.dup2(2, 1)  # ... and so is the reply pipe: the kernel's own prints go to stderr
        from hw3core.settings import enter_environment

        enter_environment(request["env"])
        os.chdir(request["cwd"])
        from ipykernel.kernelapp import launch_new_instance

        # The preloaded parent is the kernel's parent: the kernel exits when the preloaded parent does, as a
        # kernel started by jupyter_client exits when its starter does (JPY_PARENT_PID).
        sys.argv = [sys.executable, "-f", request["connection_file"], f"--IPKernelApp.parent_handle={os.getppid()}", *KERNEL_ARGUMENTS]
        launch_new_instance()
    finally:
        os._exit(0)


class ForkedKernel:
    """The parts of `subprocess.Popen` that `LocalProvisioner` uses, for a kernel the preloaded parent forked.

    The kernel is the preloaded parent's child, not ours, so there is no exit status to collect:
    `poll` says only whether the process is still there.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def poll(self) -> int | None:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return 0
        return None

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.05)
        return 0

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class PreloadedParent:
    """The warm process, started with the environment its kernels' libraries must load under.

    OpenMP reads OMP_NUM_THREADS once, when torch loads it, so the preloaded parent is started with
    the kernels' value; everything else of a kernel's environment is set after the fork.
    """

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from hw3render.forked_kernels import serve; serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            start_new_session=True,  # Ctrl-C reaches the render, which shuts the kernels down
        )
        self._loading = True  # until the first fork: the render goes on with its own work meanwhile

    def _reply(self) -> dict[str, Any]:
        line = self.process.stdout.readline()
        if not line:  # it could not import a library: its own error is on stderr, above
            raise UserError(
                f"the process the chapters' kernels start from exited (status {self.process.wait()}) before its "
                "libraries were loaded; its error is printed above; run `make setup` to reinstall the dependencies"
            )
        return json.loads(line)

    def fork(self, connection_file: str, env: dict[str, str], cwd: str) -> ForkedKernel:
        """A new kernel on `connection_file`; the reply comes at once, a fork takes milliseconds."""
        if self._loading:
            self._reply()  # the preloaded parent says so when its libraries are loaded
            self._loading = False
        self.process.stdin.write(json.dumps({"connection_file": connection_file, "env": env, "cwd": cwd}) + "\n")
        self.process.stdin.flush()
        return ForkedKernel(self._reply()["pid"])

    def close(self) -> None:
        self.process.stdin.close()  # end of requests: the preloaded parent's loop ends
        self.process.wait()

    def __enter__(self) -> PreloadedParent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ForkingProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching the kernel as a fork of `parent_process`.

    Everything else (connection file, ports or IPC sockets, signals to the process group,
    shutdown) is LocalProvisioner's own.
    """

    parent_process: PreloadedParent

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        cwd = str(kwargs.get("cwd") or Path.cwd())
        # `pre_launch` (jupyter_client's KernelProvisionerBase) always passes the kernel's env
        self.process = self.parent_process.fork(self.parent.connection_file, dict(kwargs["env"]), cwd)
        self.pid = self.pgid = self.process.pid  # the kernel leads its own session
        self.cwd = cwd
        return self.connection_info
