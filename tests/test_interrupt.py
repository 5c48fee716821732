"""A render killed mid-way (SIGTERM or Ctrl-C) leaves no partial MP3 and no temporary
file, and the next render of the same routine succeeds."""

import signal
import subprocess
import sys
import time

import pytest

import audiocheck as ac

pytestmark = [pytest.mark.ffmpeg, pytest.mark.skipif(not ac.have_ffmpeg(), reason="needs ffmpeg")]

LONG = "title: Long hold\nsteps:\n  - say: Settle in.\n  - pose: Seated\n    hold: 40m\n"


def _in_a_terminal() -> None:
    """A render's process as started from a terminal: SIGHUP not ignored, whatever started
    the tests (under ``nohup`` it is inherited ignored, and an ignored SIGHUP stays so)."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_killed_render_leaves_nothing_and_the_next_render_works(tmp_path, sig):
    routine = tmp_path / "long.yaml"
    routine.write_text(LONG)
    out = tmp_path / "out"
    env_cache = {"MATCUE_CACHE_DIR": str(tmp_path / "cache")}
    import os

    env = {**os.environ, **env_cache}
    cmd = [sys.executable, "-m", "matcue", "render", str(routine), "-o", str(out), "--backend", "fake"]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_in_a_terminal
    )
    # wait until the encode has started (its temporary file exists), then interrupt
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (out.exists() and any(out.iterdir())):
        time.sleep(0.02)
    assert out.exists() and any(out.iterdir()), "the render never started writing"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.strip().endswith("Interrupted.")
    assert not out.exists()  # no .mp3, no temporary file, and not the folder the render made

    routine.write_text(LONG.replace("40m", "20s"))
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (mp3,) = out.iterdir()
    assert mp3.name == "long-hold.mp3"
    assert ac.duration_ms(ac.decode(mp3)) > 20_000


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_render_of_many_parts_killed_mid_way_leaves_no_part_file(tmp_path, sig):
    """MATCUE_JOBS=256 cuts this 42-minute track (forty rests) into 81 parts, each encoded
    to a temporary file beside the output (one per core at a time): a signal while they
    are written leaves none of them."""
    import os

    routine = tmp_path / "long.yaml"
    routine.write_text("title: Long hold\nsteps:\n" + "".join(f"  - rest: 1m\n    cue: Rest {i}.\n" for i in range(40)))
    out = tmp_path / "out"
    env = {**os.environ, "MATCUE_CACHE_DIR": str(tmp_path / "cache"), "MATCUE_JOBS": "256"}
    cmd = [sys.executable, "-m", "matcue", "render", str(routine), "-o", str(out), "--backend", "fake"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (out.exists() and any(p.stat().st_size for p in out.iterdir())):
            time.sleep(0.02)  # until a part's MP3 is being written
        names = [p.name for p in out.iterdir()]
        assert len(names) > 2 and all(".long-hold.mp3.partial-" in n for n in names), names
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert not out.exists()


SLOW_VOICE = """
import sys, time
from matcue.voice.backends.fake import FakeVoice
from matcue.voice.registry import register_backend

class SlowVoice(FakeVoice):
    name = "slow"

    def synthesize(self, text, spec):
        time.sleep(0.03)
        return super().synthesize(text, spec)

register_backend("slow", SlowVoice)
from matcue.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_killed_while_speaking_leaves_no_corrupt_cache_entry(tmp_path, sig):
    import os

    import numpy as np

    routine = tmp_path / "many.yaml"
    routine.write_text("title: Many cues\nsteps:\n" + "".join(f"  - say: Cue number {i}.\n" for i in range(400)))
    out = tmp_path / "out"
    cache = tmp_path / "cache"
    env = {**os.environ, "MATCUE_CACHE_DIR": str(cache)}
    cmd = [sys.executable, "-c", SLOW_VOICE, "render", str(routine), "-o", str(out), "--backend", "slow"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(list(cache.glob("*.npy")) if cache.exists() else []) < 20:
        time.sleep(0.01)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.strip().endswith("Interrupted.")
    entries = list(cache.iterdir())
    assert 20 <= len(entries) < 400, "the kill did not land while speaking"
    for entry in entries:  # every entry complete, no temporary file left
        assert entry.suffix == ".npy", entry.name
        samples = np.load(entry, allow_pickle=False)
        assert samples.dtype == np.int16 and len(samples) > 0
    assert not out.exists() or list(out.iterdir()) == []

    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in out.iterdir()] == ["many-cues.mp3"]


# ----------------------------------------------------------------------------- rosters, kill -9


def _start_roster(tmp_path, hold="30m"):  # type: ignore[no-untyped-def]
    """A roster render of three long tracks on two workers, in its own process group;
    returns once two tracks are being written."""
    import os

    routine = tmp_path / "long.yaml"
    routine.write_text(LONG.replace("40m", hold))
    (tmp_path / "class.yaml").write_text("- name: Anna\n- name: Ben\n- name: Cleo\n")
    out = tmp_path / "out"
    env = {**os.environ, "MATCUE_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "matcue", "render", str(routine), "--roster", str(tmp_path / "class.yaml"),
           "-o", str(out), "--backend", "fake", "--workers", "2"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_in_a_terminal)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(out.glob(".*.partial-*")) if out.exists() else []) < 2:
        time.sleep(0.02)
    assert len(list(out.glob(".*.partial-*"))) == 2, "the workers never started writing"
    return proc, cmd, env, out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_to_a_rosters_process_group_leaves_nothing_and_no_traceback(tmp_path, sig):
    import os

    proc, _, _, out = _start_roster(tmp_path)
    os.killpg(proc.pid, sig)  # what a service manager, a terminal's Ctrl-C or a closed terminal does
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err == "Interrupted.\n"  # no thread traceback from the pool or a worker
    assert not out.exists(), sorted(p.name for p in out.iterdir())  # nothing left, and not the folder the roster made


def test_a_render_under_nohup_goes_on_when_the_terminal_closes(tmp_path):
    """SIGHUP stops a render like SIGTERM (it left its ``.partial`` files and a roster's
    workers went on alone), but an ignored SIGHUP (``nohup matcue render ...``) stays
    ignored: the render finishes."""
    import os

    routine = tmp_path / "r.yaml"
    routine.write_text(LONG.replace("40m", "3m"))
    out = tmp_path / "out"
    env = {**os.environ, "MATCUE_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "matcue", "render", str(routine), "-o", str(out), "--backend", "fake"]

    def nohup() -> None:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=nohup)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (out.exists() and any(out.iterdir())):
        time.sleep(0.02)
    proc.send_signal(signal.SIGHUP)
    stdout, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert [p.name for p in out.iterdir()] == ["long-hold.mp3"]


def test_stop_signals_are_int_term_and_hup_unless_hup_is_ignored():
    from matcue.core.stops import every_stop_signal, stop_signals

    old = signal.getsignal(signal.SIGHUP)
    try:
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        assert stop_signals() == {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        assert stop_signals() == {signal.SIGINT, signal.SIGTERM}
        assert every_stop_signal() == {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    finally:
        signal.signal(signal.SIGHUP, old)


def test_a_signal_to_a_rosters_main_process_alone_stops_its_workers_too(tmp_path):
    """``kill PID`` or ``docker stop`` signal only the main process: the workers rendered
    their tracks to the end after "Interrupted." (or to the SIGKILL that follows, leaving
    their temporary files). The interrupt is passed on to them."""
    proc, _, _, out = _start_roster(tmp_path)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err == "Interrupted.\n"
    assert not out.exists(), sorted(p.name for p in out.iterdir())
    assert time.monotonic() - started < 15  # not the half hour of audio each track holds


WORKER_CLEANUP = """
import os, signal, sys, time
from matcue import batch
batch._worker_signals()
batch._rendering = True
try:
    try:
        print("rendering", flush=True)
        while True:
            time.sleep(0.01)  # the track under way
    finally:
        # the pool terminates every other worker once one has exited: that SIGTERM
        # lands while this one is still removing its temporary files
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.1)
        print("cleaned up", flush=True)
except KeyboardInterrupt:
    print("stopped", flush=True)
"""


def test_a_roster_worker_finishes_its_cleanup_through_a_second_signal(tmp_path):
    """Ctrl-C reaches every worker of a roster, and the pool SIGTERMs the rest as soon as
    one worker has exited: a second signal must not cut short the first one's cleanup
    (it left a ``.partial`` file, and the roster's folder, now and then under load)."""
    code, out, err = _signal_once_rendering(WORKER_CLEANUP, signal.SIGINT)
    assert (code, out) == (0, "cleaned up\nstopped\n"), err


def _signal_once_rendering(program: str, sig: int) -> tuple[int, str, str]:
    """Run ``program``; once it prints "rendering", send it ``sig``: its exit code, the
    rest of its output and its errors."""
    proc = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline() == "rendering\n"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


WORKER_MASKED = """
import os, signal, sys, time
from matcue import batch

def track(job, jobs):
    try:
        print("rendering", flush=True)
        while True:
            time.sleep(0.01)
    except KeyboardInterrupt:
        raise RuntimeError("a clean-up that failed") from None  # the interrupt, masked

batch.render_track = track
batch._worker_signals()
try:
    batch._render_in_worker(None)
except RuntimeError:
    print("took the next track", flush=True)  # what the pool's worker loop would do
"""


def test_a_stopped_roster_worker_takes_no_next_track_however_its_track_unwound(tmp_path):
    """Whatever exception a signal's unwinding ends in, the worker it stopped exits: it
    must not go on to the next track in the queue (one did, and wrote a whole track after
    the roster had been interrupted)."""
    code, out, err = _signal_once_rendering(WORKER_MASKED, signal.SIGTERM)
    assert (code, out) == (130, ""), err


def test_kill_9_leftovers_are_removed_by_the_next_render_and_by_doctor_fix(tmp_path):
    import os

    proc, cmd, env, out = _start_roster(tmp_path)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    left = sorted(p.name for p in out.iterdir())
    assert len(left) == 2 and all(".partial-" in n for n in left)  # nothing could clean up

    doctor = [sys.executable, "-m", "matcue", "doctor", "-o", str(out)]
    r = subprocess.run(doctor, env=env, capture_output=True, text=True, timeout=120)
    assert "problem  output leftovers: 2 temporary files left by an interrupted render" in r.stdout
    r = subprocess.run([*doctor, "--fix"], env=env, capture_output=True, text=True, timeout=120)
    assert "ok       output leftovers: deleted 2 temporary files" in r.stdout
    assert list(out.iterdir()) == []

    proc, cmd, env, out = _start_roster(tmp_path)  # killed again: now the next render cleans up
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    assert len(list(out.iterdir())) == 2
    (tmp_path / "long.yaml").write_text(LONG.replace("40m", "5s"))
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["long-hold--anna.mp3", "long-hold--ben.mp3", "long-hold--cleo.mp3"]


def test_ctrl_c_the_instant_the_track_file_is_made_leaves_nothing(tmp_path, monkeypatch, run):  # type: ignore[no-untyped-def]
    """The roster and render tests poll for the temporary file and signal the moment it
    appears, which can be before the code that cleans it up knows of it: exit 130, no
    file, no folder."""
    import os

    from matcue.core import atomic

    routine = tmp_path / "r.yaml"
    routine.write_text(LONG.replace("40m", "20s"))
    out = tmp_path / "out"
    real_open = os.open

    def made_then_interrupted(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        fd = real_open(path, *args, **kwargs)
        if ".mp3.partial-" in str(path):
            os.close(fd)
            raise KeyboardInterrupt
        return fd

    monkeypatch.setattr(atomic.os, "open", made_then_interrupted)
    result = run("render", str(routine), "-o", str(out), "--backend", "fake")
    assert (result.exit_code, result.output.strip()) == (130, "Interrupted.")
    assert not out.exists()


def _workers_of(pid: int) -> list[int]:
    """The pool's worker processes of the roster render ``pid``."""
    from pathlib import Path

    found = []
    for d in Path("/proc").iterdir():
        try:
            parent = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (d / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid and b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
            found.append(int(d.name))
    return found


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self"), reason="finds the workers in /proc")
def test_a_killed_roster_worker_fails_its_tracks_with_a_located_reason(tmp_path):
    """A worker killed (SIGKILL, the out-of-memory killer) broke the pool: every track not
    done said "unexpected error: BrokenProcessPool: ..." and the killed one's temporary
    file stayed. Now each is located at its person, with what happened and what to do."""
    import os

    proc, _, _, out = _start_roster(tmp_path)
    workers = _workers_of(proc.pid)
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    roster = tmp_path / "class.yaml"
    assert err == "".join(f"{roster}:{n}:3: {LOST}\n" for n in (1, 2, 3)) + "3 of 3 tracks not rendered\n"
    assert not out.exists(), sorted(p.name for p in out.iterdir())  # no temporary file, no folder left


LOST = "not rendered: a worker process ended before the track was done (killed, or out of memory?); render again"


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self"), reason="finds the workers in /proc")
def test_a_killed_roster_worker_keeps_the_tracks_already_finished(tmp_path):
    import os

    routine = tmp_path / "long.yaml"
    routine.write_text(LONG.replace("40m", "30m"))
    roster = tmp_path / "class.yaml"
    roster.write_text("- name: Anna\n  skip: [Seated]\n- name: Ben\n- name: Cleo\n")  # Anna's track is short
    out = tmp_path / "out"
    env = {**os.environ, "MATCUE_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "matcue", "render", str(routine), "--roster", str(roster),
           "-o", str(out), "--backend", "fake", "--workers", "3"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 120
    ben = None
    while time.monotonic() < deadline and ben is None:
        time.sleep(0.02)
        if not (out / "long-hold--anna.mp3").exists():
            continue
        for pid in _workers_of(proc.pid):  # the worker writing Ben's track
            try:
                held = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
            except OSError:
                continue
            if any(".long-hold--ben.mp3.partial-" in h for h in held):
                ben = pid
    assert ben is not None, "Ben's track was never being written after Anna's was done"
    os.kill(ben, signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert f"{roster}:3:3: {LOST}\n" in err  # Ben's, located at him
    assert err.endswith("of 3 tracks not rendered\n") and "Traceback" not in err
    assert [p.name for p in out.iterdir()] == ["long-hold--anna.mp3"]  # kept; nothing half-written


EARLY_SIGNAL = """
import os, signal, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from matcue import batch

def starting():  # a Ctrl-C lands while the worker starts, before its own handlers are set
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.3)  # (a worker importing matcue: a traceback, if the signal were taken here)
    batch._worker_signals()

if __name__ == "__main__":
    pool = ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=starting)
    with batch._starting_workers():
        future = pool.submit(os.getpid)
    try:
        future.result()
        print("the worker ran the task")
    except Exception as e:
        print(type(e).__name__)
    pool.shutdown()
"""


def test_a_signal_while_a_roster_worker_starts_waits_for_its_handlers(tmp_path):
    """A worker starts with SIGINT and SIGTERM blocked, until its handlers are set: a
    Ctrl-C that lands earlier is taken then, and ends it quietly (exit 130: the pool is
    broken), never as a KeyboardInterrupt traceback from its start."""
    program = tmp_path / "early.py"
    program.write_text(EARLY_SIGNAL)
    r = subprocess.run([sys.executable, str(program)], capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stdout, r.stderr) == (0, "BrokenProcessPool\n", "")


def test_an_interrupt_while_the_roster_starts_its_workers_waits_until_they_are_known():
    """A Ctrl-C while the pool is being fed (each submit may start a worker) is raised once
    the submits are done, so the pool knows every worker it started and waits for it (one
    it did not know outlived the roster, and the roster's empty folder was left)."""
    import os

    from matcue import batch

    reached = []
    with pytest.raises(KeyboardInterrupt):
        with batch._starting_workers():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            reached.append("after the signal")
    assert reached == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
