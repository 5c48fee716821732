"""The signals that stop a command the way Ctrl-C does: the render under way removes its
temporary files and the command exits 130 ("Interrupted.")."""

from __future__ import annotations

import signal


def stop_signals() -> set[signal.Signals]:
    """SIGINT, SIGTERM and SIGHUP (a closed terminal window, a dropped ssh session) where
    the system has them. SIGHUP only while it is not ignored: ``nohup matcue render ...``
    goes on when the terminal closes, in the command and in a roster's workers alike (an
    ignored signal stays ignored in a process the command starts)."""
    out = {signal.SIGINT}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is None or (name == "SIGHUP" and signal.getsignal(sig) == signal.SIG_IGN):
            continue
        out.add(sig)
    return out


def every_stop_signal() -> set[signal.Signals]:
    """Every signal :func:`stop_signals` may name, ignored or not (what a process blocks
    while it starts workers and unblocks in them)."""
    return {s for s in (getattr(signal, n, None) for n in ("SIGINT", "SIGTERM", "SIGHUP")) if s is not None}
