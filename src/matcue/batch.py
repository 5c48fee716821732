"""Render one routine for many people: a track per profile, in parallel or on Dask.

Each track is one call of :func:`render_track` with plain, picklable arguments (a
:class:`TrackJob`), so the same function runs inline, in a process pool across this
machine's cores, or as a task on a Dask distributed cluster (``--scheduler``). Failures
come back as data (:class:`TrackResult` with ``errors``), so one bad profile never stops
the others. The speech cache is shared: it is content-addressed and written atomically.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from matcue.api import render_routine
from matcue.core.errors import MatcueError, Problem, RoutineError
from matcue.core.naming import person_stem, slugify
from matcue.core.stops import every_stop_signal, stop_signals
from matcue.plan.compile import Options
from matcue.plan.timeline import Timeline
from matcue.routine.model import Routine
from matcue.routine.profile import Profile
from matcue.settings import Settings, people_read

if TYPE_CHECKING:
    from matcue.core.media import Cover


@dataclass(frozen=True, slots=True)
class TrackJob:
    """Everything one track needs; paths absolute so any worker can reach them."""

    routine: str
    name: str  # file stem: <routine-slug>--<profile-slug>
    profile: Profile | None = None
    settings: Settings = field(default_factory=Settings)  # from the command line; the profile fills the rest
    given: str = ""  # the routine's path as the command line wrote it, for messages

    @property
    def person(self) -> str:
        return self.profile.name if self.profile else ""


@dataclass(frozen=True, slots=True)
class TrackResult:
    person: str
    routine: str
    path: str | None = None
    total_ms: int | None = None
    errors: tuple[str, ...] = ()  # located problems, one per line; empty = rendered
    seconds: float = 0.0
    sidecars: tuple[str, ...] = ()  # captions and chapters written next to the track
    timeline: Timeline | None = field(default=None, repr=False, compare=False)  # the one rendered
    cover: Cover | None = field(default=None, repr=False, compare=False)  # the embedded cover

    @property
    def ok(self) -> bool:
        return not self.errors


def render_track(job: TrackJob, jobs: int | None = 1) -> TrackResult:
    """Render one track; never raises for a user-caused failure (returns it in ``errors``)."""
    start = time.monotonic()
    p = job.profile
    settings = job.settings.for_person(p)
    settings = replace(settings, output=replace(settings.output, jobs=jobs))
    try:
        r = render_routine(job.routine, settings, name=job.name, person=job.person or None)
    except MatcueError as e:
        if e.located:  # the routine's (or its recordings') located problem lines
            return TrackResult(job.person, job.routine, errors=_as_given(e.located, job))
        where = f"{p.mark}: " if p is not None and p.mark else ""
        return TrackResult(job.person, job.routine, errors=(f"{where}{e}",))
    timeline = r.built.timeline if r.built is not None else None
    return TrackResult(
        job.person, job.routine, str(r.path), r.total_ms, seconds=time.monotonic() - start,
        sidecars=tuple(str(x) for x in r.sidecars), timeline=timeline, cover=r.cover,
    )  # fmt: skip


def _as_given(lines: tuple[str, ...], job: TrackJob) -> tuple[str, ...]:
    """Located lines with the files of the routine's folder named as the command line named
    the routine (``r.yaml:1:1``), not by the absolute path a worker is given
    (``/home/me/class/r.yaml:1:1``, which a track of a roster or ``--profile`` said)."""
    if not job.given or job.given == job.routine:
        return lines
    folder = os.path.dirname(job.routine) + os.sep
    given = os.path.dirname(job.given)
    prefix = given + os.sep if given else ""
    return tuple(prefix + line[len(folder) :] if line.startswith(folder) else line for line in lines)


def default_workers(n_tracks: int) -> int:
    """Processes for a roster: one per core (``$MATCUE_JOBS`` if set), never more than tracks."""
    from matcue.audio.render import default_jobs

    return max(1, min(n_tracks, default_jobs()))


def render_tracks(
    jobs: Sequence[TrackJob],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int, TrackResult], None] | None = None,
) -> list[TrackResult]:
    """Render every job; results in the order of ``jobs``.

    ``scheduler``: a Dask distributed scheduler address (``tcp://host:port``): each track is
    one task. Otherwise ``workers`` processes (default one per core), each encoding with one
    thread so the machine is not oversubscribed; with one worker, inline with every core.
    """
    if not jobs:
        return []
    if scheduler:
        return _on_dask(jobs, scheduler, progress)
    n = workers or default_workers(len(jobs))
    results: list[TrackResult | None] = [None] * len(jobs)
    done = 0
    if n <= 1 or len(jobs) == 1:
        for i, job in enumerate(jobs):
            results[i] = result = render_track(job, jobs=None)
            done += 1
            if progress:
                progress(done, len(jobs), result)
        return _all(results)
    order = longest_first(jobs)
    _start_resource_tracker()
    pool = ProcessPoolExecutor(max_workers=n, mp_context=get_context("spawn"), initializer=_worker_signals)
    try:
        with _starting_workers():  # each submit may start a worker
            futures = {pool.submit(_render_in_worker, jobs[i], 1): i for i in order}
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = result = _result_of(fut, jobs[i])
            done += 1
            if progress:
                progress(done, len(jobs), result)
    except KeyboardInterrupt:
        _stop_workers(pool)
        raise
    finally:
        # on an interrupt the workers got the signal too (one process group, or from
        # _stop_workers) and remove their temporary files as they exit; wait for them so
        # none is left behind
        pool.shutdown(wait=True, cancel_futures=True)
    for job, res in zip(jobs, results):
        if res is not None and res.errors == (_lost(job),):
            _sweep_track(job)  # what the ended worker could not remove
    return _all(results)


WORKER_LOST = "a worker process ended before the track was done (killed, or out of memory?); render again"


def _lost(job: TrackJob) -> str:
    """The problem of a track whose worker process ended under it, located at its person."""
    p = job.profile
    return f"{p.mark if p is not None and p.mark else job.routine}: not rendered: {WORKER_LOST}"


def _sweep_track(job: TrackJob) -> None:
    """Remove the temporary files of ``job``'s track and sidecars that no live process holds."""
    from matcue.core.atomic import sweep

    sweep(Path(job.settings.output.folder), f"{job.name}.*")


_rendering = False  # in a worker process: a track is being rendered
_stopping = False  # in a worker process: a signal has told it to stop


def _stop_signals() -> set[signal.Signals]:
    return stop_signals()


@contextmanager
def _starting_workers() -> Iterator[None]:
    """While the pool starts its workers (a submit spawns one): SIGINT, SIGTERM and SIGHUP are
    blocked in this thread, so every worker starts with them blocked and takes one only
    once :func:`_worker_signals` has set its handlers (a Ctrl-C while a worker imported
    matcue printed its traceback); and an interrupt here waits until the submits are done,
    so the pool knows every worker it started and its shutdown waits for each (a worker
    it did not know outlived the roster and left its output folder behind)."""
    masked = hasattr(signal, "pthread_sigmask")
    main = threading.current_thread() is threading.main_thread()
    got: list[int] = []
    handlers = {s: signal.getsignal(s) for s in _stop_signals()} if main else {}
    for s in handlers:
        signal.signal(s, lambda signum, frame: got.append(signum))
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, every_stop_signal()) if masked else None
    try:
        yield
    finally:
        if old_mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        for s, handler in handlers.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        if got:  # the interrupt, now that every worker is known
            handler = handlers[signal.Signals(got[0])]
            if callable(handler):
                handler(got[0], None)
            elif handler != signal.SIG_IGN:
                signal.raise_signal(got[0])


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Pass an interrupt on to every worker: a signal to this process alone (``kill PID``,
    ``docker stop``, a service manager that stops the main process) left the workers
    rendering their tracks to the end, or to the SIGKILL that follows, which leaves their
    temporary files. A worker that had the signal already takes this one as a no-op."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.terminate()
        except (OSError, AttributeError):  # already gone
            pass


def _start_resource_tracker() -> None:
    """Start the pool's resource tracker with SIGHUP blocked, which it keeps: it ignores
    SIGINT and SIGTERM itself but not SIGHUP, so a closed terminal killed it and the
    roster printed its relaunch warning and a traceback."""
    from multiprocessing import resource_tracker

    hup = getattr(signal, "SIGHUP", None)
    if hup is None or not hasattr(signal, "pthread_sigmask"):
        resource_tracker.ensure_running()
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {hup})
    try:
        resource_tracker.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _worker_signals() -> None:
    """A roster worker (the pool's initializer): SIGTERM, SIGHUP and Ctrl-C stop the track under
    way the way they stop a render (its temporary files removed), then end the worker
    quietly. They were blocked since the worker started (:func:`_starting_workers`); one
    that came meanwhile is taken now, by these handlers."""
    for sig in _stop_signals():
        signal.signal(sig, _worker_stop)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, every_stop_signal())


def _worker_stop(signum: int, frame: object) -> None:
    # one stop is enough: a second signal (Ctrl-C twice, or the SIGTERM the pool sends
    # every worker once another has exited) must not cut the cleanup short and leave a
    # temporary file behind
    global _stopping
    _stopping = True
    for sig in _stop_signals():
        signal.signal(sig, _already_stopping)  # not SIG_IGN: a signal already pending would print a warning
    if _rendering:
        raise KeyboardInterrupt  # unwinds the render: its finally blocks clean up
    _exit_stopped()  # idle between tracks


def _render_in_worker(job: TrackJob, jobs: int | None = 1) -> TrackResult:
    """:func:`render_track` in a roster worker; an interrupt ends the worker after the
    render has cleaned up, with no traceback."""
    global _rendering
    _rendering = True
    try:
        return render_track(job, jobs)
    except KeyboardInterrupt:
        _exit_stopped()
    finally:
        _rendering = False
        if _stopping:  # however the track unwound, a stopped worker takes no next track
            _exit_stopped()


def _exit_stopped() -> NoReturn:
    """End a roster worker that a signal stopped, leaving no temporary file it made."""
    from matcue.core.atomic import discard_all

    discard_all()
    os._exit(130)


def _already_stopping(signum: int, frame: object) -> None:
    """A roster worker's handler once it is stopping: nothing more to do."""


def plan_track(job: TrackJob) -> int:
    """The track's length in ms, with its speech synthesized into the shared cache
    (0 when the track cannot be built: its worker reports why)."""
    from matcue.api import build_timeline

    try:
        settings = job.settings.for_person(job.profile)
        built = build_timeline(
            job.routine, settings.session, settings.voice, loading=settings.loading(),
        )  # fmt: skip
    except MatcueError:
        return 0
    return built.timeline.total_ms


def longest_first(jobs: Sequence[TrackJob]) -> list[int]:
    """Indexes of ``jobs``, longest track first.

    Planned in this process before any worker starts, which does two things: every phrase
    the roster needs is synthesized once (concurrently, by the speech cache) rather than
    by several workers racing on the same phrase, and the pool is fed longest-first, so
    the last track to finish is a short one and no core idles at the end waiting for a
    long track started late (the classic longest-processing-time rule). Planning a track
    with a warm cache takes about 10 ms.
    """
    lengths = [plan_track(job) for job in jobs]
    return sorted(range(len(jobs)), key=lambda i: -lengths[i])


def _all(results: list[TrackResult | None]) -> list[TrackResult]:
    """Every result, once each job has one."""
    done = [r for r in results if r is not None]
    assert len(done) == len(results)
    return done


def _result_of(fut: Any, job: TrackJob) -> TrackResult:
    from concurrent.futures.process import BrokenProcessPool

    try:
        return fut.result()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BrokenProcessPool:  # a worker killed (SIGKILL, out of memory): every track not done fails
        return TrackResult(job.person, job.routine, errors=(_lost(job),))
    except Exception as e:  # a crashed worker: report it with the others
        if type(e).__name__ == "KilledWorker":  # Dask's word for the same
            return TrackResult(job.person, job.routine, errors=(_lost(job),))
        return TrackResult(job.person, job.routine, errors=(f"unexpected error: {type(e).__name__}: {e}",))


def _on_dask(
    jobs: Sequence[TrackJob], scheduler: str, progress: Callable[[int, int, TrackResult], None] | None
) -> list[TrackResult]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise MatcueError(
            "--scheduler needs Dask distributed: pip install 'matcue[dask]' (here and on the workers)"
        ) from None
    results: list[TrackResult | None] = [None] * len(jobs)
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, ValueError, TypeError) as e:  # unreachable, or an address Dask cannot parse
        raise MatcueError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
    except Exception as e:  # something else answers there (a web server: its bytes read as a huge frame length)
        raise MatcueError(
            f"cannot reach the Dask scheduler at {scheduler}: what answers there is not a Dask scheduler "
            f"({type(e).__name__}); check the address and port"
        ) from None
    with client:
        futures = [client.submit(render_track, job, 1, pure=False) for job in jobs]
        index = {f.key: i for i, f in enumerate(futures)}
        for done, fut in enumerate(dask_completed(futures), start=1):
            i = index[fut.key]
            results[i] = result = _result_of(fut, jobs[i])
            if progress:
                progress(done, len(jobs), result)
    return _all(results)


def failed_profile(error: RoutineError, source: str) -> TrackResult:
    """A profile that did not load, as a failed track (the roster goes on)."""
    first: Problem | None = error.problems[0] if error.problems else None
    if error.source is not None:  # a profile file of a roster, whatever its problems say
        person = os.path.basename(error.source)
    else:
        person = os.path.basename(first.mark.path) if first and first.mark else source
    if first and first.where.startswith("["):  # written inline in a roster: name its item
        person += first.where.split(".")[0]
    return TrackResult(person, "", errors=tuple(str(p) for p in error.problems))


def render_for_people(
    routine_path: str | Path,
    people: Sequence[Profile | RoutineError],
    settings: Settings = Settings(),
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int, int, TrackResult], None] | None = None,
    stem: str | None = None,
) -> list[TrackResult]:
    """A track of ``routine_path`` per profile, ``<output folder>/<routine-slug>--<profile-slug>.mp3``.

    ``people``: loaded profiles, or the errors of those that did not load (reported as
    failed tracks, in order). A routine that does not load raises RoutineError.
    ``settings``: the command line's; each profile fills in what they leave unset.
    ``stem``: the routine's track name in its command (:func:`matcue.api.track_stems`:
    ``-2`` for the second of two routines whose titles slug alike), default its title's slug.
    """
    from matcue.api import output_error
    from matcue.core.paths import folders_made, remove_empty

    slots, jobs = plan_people(routine_path, people, settings, stem)
    out = Path(settings.output.folder)
    made = folders_made(out)  # made here, once: a track that fails must not remove it under another
    try:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise output_error(exc, out) from exc
        rendered = render_tracks(jobs, workers=workers, scheduler=scheduler, progress=progress)
    finally:
        remove_empty(made)  # left only when no track was written
    return [rendered[s] if isinstance(s, int) else s for s in slots]


def plan_people(
    routine_path: str | Path, people: Sequence[Profile | RoutineError], settings: Settings, stem: str | None = None
) -> tuple[list[TrackResult | int], list[TrackJob]]:
    """The jobs of a track per person, and for each person in order either its job's index
    or its failure (a profile that did not load, a file name another person has). The
    whole roster is charged to the command's budget first (:func:`preflight`). ``stem``:
    the routine's track name in its command, default the slug of its title."""
    from matcue.core.paths import require_folder
    from matcue.routine.loader import load_routine
    from matcue.routine.profile import check_people

    check_people(len(people))  # one limit for the people of one command, however given
    routine = load_routine(routine_path, allow_outside=settings.allow_outside, given=settings.given())
    require_folder(settings.output.folder)  # before any track (once the routine loads: inputs first)
    base = stem or slugify(routine.title)
    absolute = replace(
        settings,
        output=replace(settings.output, folder=Path(os.path.abspath(settings.output.folder))),
        also_read=(*settings.also_read, *people_read(people)),  # no person's track replaces another's profile
    )
    slots: list[TrackResult | int] = []
    jobs: list[TrackJob] = []
    seen: dict[str, Profile] = {}
    for p in people:
        if isinstance(p, RoutineError):
            slots.append(failed_profile(p, str(routine_path)))
            continue
        try:
            name = person_stem(base, p, seen)
        except ValueError as e:
            slots.append(TrackResult(p.name, str(routine_path), errors=(str(e),)))
            continue
        slots.append(len(jobs))
        jobs.append(TrackJob(os.path.abspath(routine_path), name, p, absolute, given=str(routine_path)))
    preflight(routine, [(job.routine, job.settings.for_person(job.profile).session) for job in jobs])
    return slots, jobs


def preflight(routine: Routine, tracks: Sequence[tuple[str, Options]]) -> None:
    """Charge every track's events and speech to the command's budget before any track is
    synthesized (compiling is cheap and needs no voice): a roster that would pass the
    budget as a whole is refused before it starts. A track with problems of its own is
    left for its worker to report."""
    from matcue.api import routine_lexicon
    from matcue.core.limits import current
    from matcue.plan.budget import check_script
    from matcue.plan.compile import compile_routine

    work = current()
    lexicon = routine_lexicon(routine)
    for path, options in tracks:
        try:
            check_script(compile_routine(routine, options), lexicon, (os.path.realpath(path), options), work)
        except RoutineError:
            if work.events > work.limits.events or work.speech_chars > work.limits.speech_chars:
                raise
