"""Kiosk UI timings: start of the real kiosk app to an interactive Welcome screen, screen changes, language switch.

Starts `accueil demo` (the backend, on SQLite) in its own process, then runs the kiosk app (KioskApp on asyncio,
as `accueil kiosk` runs it) in a fresh Python process for each start, under Xvfb. Run from the repository root:
`.venv/bin/python bench/kiosk_ui.py`. Without a DISPLAY it re-executes itself under `xvfb-run`. Exits 1 when a
run fails.

What is measured:
- Start: to the first frame drawn once Welcome is interactive: the app built, Welcome current and its fade-in
  finished (the ScreenManager ignores touches during a transition), and the site's configuration loaded (Check in
  is disabled without it). Cold: an empty configuration cache (a fresh kiosk data dir, paired with the demo
  token beforehand, as an installer would), so the configuration comes from the backend. Warm: the next start on
  the same data dir, the configuration read from its cache. Timed from the child's first statement (before any
  import) and from the parent's Popen (adds the interpreter's own start-up). One start is made and discarded
  first, so the OS file cache, .pyc files (unless PYTHONDONTWRITEBYTECODE) and KIVY_HOME are warm in every timed
  run: this is not a boot.
- Screen change: Welcome -> Whom (app.begin_check_in, what Check in does) and back (app.start_over), from the
  call, made in a Clock callback as a touch handler would be, to the first frame drawn after the new screen is
  current and the transition has finished.
- Language switch: app.language fr -> en on Welcome, from the assignment to the next frame drawn.
- Redraw: one frame of Welcome with nothing changed, the floor under the two above.

"Frame drawn" is the end of the window's buffer swap (Window.on_flip); with Mesa's llvmpipe the rasterising is
done by then. Kivy's default 60 fps cap applies, as on the kiosk, so frames are ~16.7 ms apart and the time
waiting for the next frame is part of every figure.
"""
from __future__ import annotations

import time

# The child's "process start": first thing, before kivy (or anything much) is imported. perf_counter is
# CLOCK_MONOTONIC on Linux, shared by all processes, so the parent can also compare it with its own Popen time.
STARTED = time.perf_counter()

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

SCRIPT = Path(__file__).resolve()
REPO = SCRIPT.parents[1]
sys.path.insert(0, str(REPO))  # this checkout's kiosk package, however the venv was installed

HOST = "127.0.0.1"
RUNS = 5  # cold starts, each followed by a warm start on the same data dir
ROUND_TRIPS = 50  # Welcome -> Whom -> Welcome
LANGUAGE_SWITCHES = 20
REDRAWS = 20  # of an unchanged Welcome: the cost of one frame, under everything else
STAFF_PIN = "2468"
KIOSK_TOKEN_FILE = "demo-kiosk.token"
XVFB_SCREEN = "-screen 0 1280x1280x24"  # room for the kiosk's portrait and landscape windows, as in the UI tests
UNDER_XVFB = "ACCUEIL_BENCH_UNDER_XVFB"  # set before re-executing, so a missing DISPLAY cannot loop
READY_TIMEOUT = 60.0  # the backend's /readyz
CHILD_TIMEOUT = 180.0  # one child process, start to exit
WAIT_TIMEOUT = 30.0  # in a child: any one thing awaited (the app's start, a frame)
STOP_TIMEOUT = 10.0


# --- the child: one kiosk app ---------------------------------------------------------------------------------

class Frames:
    """Resolves futures at the end of the first frame drawn while a condition holds.

    The condition is checked right after the buffer swap. Nothing runs between a frame's drawing and its swap, so
    a condition true then was true when the frame was drawn (Kivy updates label textures before drawing).
    """

    def __init__(self, window: Any, clock: Any):
        self.window = window
        self.count = 0  # frames drawn so far
        self.first_frame_at: float | None = None
        self._waiting: list[tuple[Callable[[], object], asyncio.Future[float]]] = []
        real_on_flip = window.on_flip

        def on_flip() -> None:
            real_on_flip()  # the swap itself
            now = time.perf_counter()
            self.count += 1
            if self.first_frame_at is None:
                self.first_frame_at = now
            for waiter in list(self._waiting):
                condition, future = waiter
                if future.done():
                    self._waiting.remove(waiter)
                elif condition():
                    self._waiting.remove(waiter)
                    future.set_result(now)

        # Observers bound with Window.bind(on_flip=...) run before the default handler, i.e. before the swap;
        # EventDispatcher.dispatch looks the default handler up on the instance, so this wrapper runs it first.
        window.on_flip = on_flip
        clock.schedule_interval(self._ask_for_frame, 0)

    def _ask_for_frame(self, _dt: float) -> None:
        # Kivy draws only when the canvas changed; make sure a frame comes once a condition holds even if not.
        if any(condition() for condition, future in self._waiting if not future.done()):
            self.window.canvas.ask_update()

    def drawn_when(self, condition: Callable[[], object] = lambda: True) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting.append((condition, future))
        return future


async def until(app_task: asyncio.Task, future: asyncio.Future, what: str) -> Any:
    """The future's result; raises the app's own error if it stops first, or after WAIT_TIMEOUT."""
    done, _ = await asyncio.wait({app_task, future}, timeout=WAIT_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    if future in done:
        return future.result()
    future.cancel()
    if app_task in done:
        app_task.result()
        raise RuntimeError(f"the kiosk app stopped before {what}")
    raise RuntimeError(f"timed out after {WAIT_TIMEOUT:.0f} s waiting for {what}")


async def timed(app_task: asyncio.Task, frames: Frames, action: Callable[[], object],
                condition: Callable[[], object] = lambda: True) -> dict[str, float]:
    """From `action` (called at the start of a frame, like a touch handler) to the first frame drawn with
    `condition` true: seconds in all, seconds in the call itself, and frames drawn."""
    from kivy.clock import Clock

    called: asyncio.Future[tuple[float, float, int, asyncio.Future[float]]] = (
        asyncio.get_running_loop().create_future())

    def call(_dt: float) -> None:
        started = time.perf_counter()
        action()
        # Registered after the action, so a condition already true before it (the old screen) cannot match.
        called.set_result((started, time.perf_counter(), frames.count, frames.drawn_when(condition)))

    Clock.schedule_once(call, 0)
    started, returned, count, drawn = await until(app_task, called, "the Clock callback")
    ended = await until(app_task, drawn, "the next frame")
    return {"total": ended - started, "call": returned - started, "frames": frames.count - count}


async def screen_changes(app: Any, app_task: asyncio.Task, frames: Frames) -> dict[str, Any]:
    manager = app.root

    def settled_on(name: str) -> Callable[[], bool]:
        return lambda: manager.current == name and not manager.transition.is_active

    forward, back, language, redraw = [], [], [], []
    for _ in range(ROUND_TRIPS):
        forward.append(await timed(app_task, frames, app.begin_check_in, settled_on("whom")))
        if not manager.get_screen("whom").ids.departments.children:
            raise RuntimeError("the Whom screen shows no department: the configuration is missing")
        back.append(await timed(app_task, frames, app.start_over, settled_on("welcome")))
    for _ in range(LANGUAGE_SWITCHES):
        await timed(app_task, frames, lambda: setattr(app, "language", "fr"))  # back to French, not timed
        language.append(await timed(app_task, frames, lambda: setattr(app, "language", "en")))
    if app.language != "en" or manager.current != "welcome":
        raise RuntimeError(f"unexpected end state: {manager.current!r} in {app.language!r}")
    # The floor under all of the above: one frame of Welcome with nothing changed (Frames asks for the redraw).
    for _ in range(REDRAWS):
        redraw.append(await timed(app_task, frames, lambda: None))
    return {"transition": manager.transition.duration, "forward": forward, "back": back, "language": language,
            "redraw": redraw}


async def drive(app: Any, frames: Frames, mode: str, marks: dict[str, float]) -> dict[str, Any]:
    app_task = asyncio.ensure_future(app.async_run(async_lib="asyncio"))
    try:
        def interactive() -> bool:
            manager = app.root
            return (manager is not None and manager.current == "welcome" and not manager.transition.is_active
                    and app.status.config is not None)

        marks["ready"] = await until(app_task, frames.drawn_when(interactive), "an interactive Welcome screen")
        marks["first_frame"] = frames.first_frame_at
        result: dict[str, Any] = {"marks": marks}
        if mode == "screens":
            result["screens"] = await screen_changes(app, app_task, frames)
        return result
    finally:
        if not app_task.done():
            app.stop()
        await asyncio.wait({app_task}, timeout=STOP_TIMEOUT)  # an error of the app's was raised by until()
        await app.shutdown()


def child(mode: str, data_dir: Path, backend_url: str) -> int:
    """One kiosk app: prints its timings as one JSON line on stdout. KIVY_* come from the parent's environment."""
    from kiosk.launcher import configure_kivy

    configure_kivy(fullscreen=False)
    import kivy
    from kivy.clock import Clock
    from kivy.config import Config
    from kivy.core.window import Window  # opens the window and its OpenGL context
    from kivy.graphics.opengl import GL_RENDERER, GL_VERSION, glGetString

    from kiosk.app import KioskApp
    from kiosk.settings import KioskSettings

    marks = {"started": STARTED, "imported": time.perf_counter()}
    frames = Frames(Window, Clock)
    app = KioskApp(KioskSettings(data_dir=data_dir, fullscreen=False), backend_url)

    # These observers return None: an event observer returning a true value would stop the app's own handler.
    def built(*_args: object) -> None:
        marks.setdefault("built", time.perf_counter())  # observers run before App.on_start, after build()

    def configured(_status: object, config: object) -> None:
        if config is not None:
            marks.setdefault("config", time.perf_counter())

    app.bind(on_start=built)
    app.status.bind(config=configured)
    if app.status.config is not None:  # warm: read from the cache in KioskStatus.__init__
        marks["config"] = time.perf_counter()
    result = asyncio.run(drive(app, frames, mode, marks))
    result["machine"] = {
        "gl_renderer": glGetString(GL_RENDERER).decode(), "gl_version": glGetString(GL_VERSION).decode(),
        "kivy": kivy.__version__, "maxfps": Config.getint("graphics", "maxfps"),
        "window": list(Window.size),
    }
    print(json.dumps(result), flush=True)
    return 0


# --- the parent: backend, children, report --------------------------------------------------------------------

def ensure_display() -> None:
    """Re-execute under xvfb-run when there is no display; the children inherit its DISPLAY."""
    if os.environ.get("DISPLAY"):
        return
    if os.environ.get(UNDER_XVFB):
        sys.exit("error: xvfb-run did not set DISPLAY")
    xvfb_run = shutil.which("xvfb-run")
    if xvfb_run is None:
        sys.exit("error: no DISPLAY and no xvfb-run (apt-get install xvfb)")
    os.environ[UNDER_XVFB] = "1"
    sys.stdout.flush()
    os.execv(xvfb_run, [xvfb_run, "-a", "-s", XVFB_SCREEN, sys.executable, str(SCRIPT), *sys.argv[1:]])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def demo_backend(data_dir: Path, log: Path) -> Iterator[str]:
    """`accueil demo` on a fresh data dir; yields its base URL once /readyz answers 200, stops it on the way out."""
    env = {**os.environ, "ACCUEIL_DATA_DIR": str(data_dir), "ACCUEIL_LOG_LEVEL": "WARNING"}
    env.pop("ACCUEIL_DATABASE_URL", None)  # SQLite in the data dir, whatever the caller's environment says
    env.pop("ACCUEIL_CONFIG_FILE", None)
    port = free_port()
    base = f"http://{HOST}:{port}"
    with log.open("wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "backend", "demo", "--host", HOST, "--port", str(port)],
                                   cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the backend exited with status {process.returncode} before it was ready")
            with contextlib.suppress(urllib.error.URLError, OSError):
                with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                    if response.status == 200:
                        break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{base}/readyz did not answer 200 within {READY_TIMEOUT:.0f} s")
            time.sleep(0.1)
        yield base
    finally:
        stop(process)


class Kiosks:
    """Runs this script's child mode, one fresh Python process at a time."""

    def __init__(self, tmp: Path, backend_url: str, token: str):
        self.tmp = tmp
        self.backend_url = backend_url
        self.token = token
        self.runs = 0
        self.env = {name: value for name, value in os.environ.items() if not name.startswith("ACCUEIL_KIOSK_")}
        self.env.update(KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1", KIVY_HOME=str(tmp / "kivy-home"))

    def paired_data_dir(self) -> Path:
        """A new kiosk data dir, paired as `accueil kiosk --token-file` would: no configuration cached yet."""
        from kiosk.launcher import pair_with_token
        from kiosk.settings import KioskSettings

        self.runs += 1
        data_dir = self.tmp / f"kiosk-{self.runs}"
        pair_with_token(KioskSettings(data_dir=data_dir, fullscreen=False), self.backend_url, self.token, STAFF_PIN)
        return data_dir

    def run(self, mode: str, data_dir: Path) -> dict[str, Any]:
        log = data_dir.with_name(f"{data_dir.name}-{mode}-{time.monotonic_ns()}.log")
        argv = [sys.executable, str(SCRIPT), "--child", mode, "--data-dir", str(data_dir),
                "--backend", self.backend_url]
        with log.open("wb") as stderr:
            popen_at = time.perf_counter()
            process = subprocess.Popen(argv, cwd=REPO, env=self.env, stdout=subprocess.PIPE, stderr=stderr)
        try:
            stdout, _ = process.communicate(timeout=CHILD_TIMEOUT)
        finally:
            stop(process)
        if process.returncode != 0:
            raise RuntimeError(f"the {mode} child exited with status {process.returncode}; its stderr:\n"
                               + log.read_text(errors="replace")[-4000:])
        lines = stdout.decode(errors="replace").strip().splitlines()
        result = json.loads(lines[-1])
        result["marks"]["popen"] = popen_at
        if not popen_at < result["marks"]["started"] < result["marks"]["ready"]:
            raise RuntimeError(f"the parent's and the child's clocks disagree: {result['marks']}")
        return result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else math.nan  # nearest rank


def since(run: dict[str, Any], mark: str, origin: str = "started") -> float:
    return run["marks"][mark] - run["marks"][origin]


def report(first: dict[str, Any], cold: list[dict[str, Any]], warm: list[dict[str, Any]],
           screens: dict[str, Any], load: tuple[float, float]) -> None:
    machine = screens["machine"]
    renderer = machine["gl_renderer"]
    display = ("Xvfb started by this script (xvfb-run)" if os.environ.get(UNDER_XVFB)
               else f"the caller's DISPLAY {os.environ.get('DISPLAY')}")
    software = "software rendering" if "llvmpipe" in renderer or "softpipe" in renderer else "NOT llvmpipe"
    changes = screens["screens"]
    transition = changes["transition"]
    print("Kiosk UI: the real KioskApp against `accueil demo` (SQLite), each start in a fresh Python process")
    print(f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()} on {platform.platform()}; "
          f"load average (1 min) {load[0]:.1f} before, {load[1]:.1f} after")
    print(f"Display: {display}; OpenGL {machine['gl_version']}, {renderer} ({software})")
    print(f"Kivy {machine['kivy']}, maxfps {machine['maxfps']}, window {machine['window'][0]}x{machine['window'][1]}, "
          f"FadeTransition {transition * 1000:.0f} ms")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("PYTHONDONTWRITEBYTECODE is set: modules without a .pyc (the project's own) are compiled at each start")
    print()

    # (label, seconds, frames drawn, seconds in the call); the last two only for the changes made in one process.
    rows: list[tuple[str, list[float], list[float] | None, list[float] | None]] = [
        ("cold start, from process start", [since(r, "ready") for r in cold], None, None),
        ("cold start, from the parent's Popen", [since(r, "ready", "popen") for r in cold], None, None),
        ("warm start, from process start", [since(r, "ready") for r in warm], None, None),
        ("warm start, from the parent's Popen", [since(r, "ready", "popen") for r in warm], None, None),
    ]
    for label, runs in (("screen change, both directions", changes["forward"] + changes["back"]),
                        ("screen change Welcome -> Whom", changes["forward"]),
                        ("screen change Whom -> Welcome", changes["back"])):
        frames, calls = [r["frames"] for r in runs], [r["call"] for r in runs]
        rows.append((label, [r["total"] for r in runs], frames, calls))
        rows.append((f"  of which beyond the {transition * 1000:.0f} ms transition",
                     [r["total"] - transition for r in runs], None, None))
    for label, runs in (("language switch fr -> en (Welcome)", changes["language"]),
                        ("redraw, nothing changed (Welcome)", changes["redraw"])):
        rows.append((label, [r["total"] for r in runs], [r["frames"] for r in runs], [r["call"] for r in runs]))

    header = (f"{'measure':<44} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
              f"{'frames p50':>10} {'call p50 ms':>11}")
    print(header)
    print("-" * len(header))
    for label, seconds, frames, calls in rows:
        frames_p50 = f"{statistics.median(frames):.0f}" if frames else ""
        calls_p50 = f"{statistics.median(calls) * 1000:.1f}" if calls else ""
        print(f"{label:<44} {len(seconds):>4} {percentile(seconds, 50) * 1000:>8.1f} "
              f"{percentile(seconds, 99) * 1000:>8.1f} {max(seconds) * 1000:>8.1f} {frames_p50:>10} {calls_p50:>11}")
    print("frames: frames drawn from the call to the one measured, that one included; call: time inside the call "
          "itself (app code, before any frame)")
    print(f"p99 is the nearest rank: of {RUNS} starts or {LANGUAGE_SWITCHES} switches it is the maximum.")
    print()

    # Where a start goes: the median time since the process's first statement at which each step was reached.
    steps = [("imported", "imports + window"), ("built", "app built"), ("first_frame", "first frame"),
             ("config", "configuration"), ("ready", "interactive")]
    for name, runs in (("cold", cold), ("warm", warm)):
        parts = ", ".join(f"{label} {statistics.median(since(r, mark) for r in runs) * 1000:.0f}"
                          for mark, label in steps)
        print(f"{name} start, median ms since process start: {parts}")
    print(f"Interpreter start-up before the child's first statement: median "
          f"{statistics.median(since(r, 'started', 'popen') for r in cold + warm) * 1000:.0f} ms")
    print(f"Discarded first start (fills the OS file cache and KIVY_HOME): {since(first, 'ready') * 1000:.0f} ms "
          f"from process start, {since(first, 'ready', 'popen') * 1000:.0f} ms from Popen")


def parent() -> int:
    with tempfile.TemporaryDirectory(prefix="accueil-bench-ui-") as name:
        tmp = Path(name)
        load_before = os.getloadavg()[0]  # the machine may be shared: the figures mean little under load
        backend_data = tmp / "backend"
        backend_data.mkdir()
        backend_log = tmp / "backend.log"
        try:
            with demo_backend(backend_data, backend_log) as backend_url:
                kiosks = Kiosks(tmp, backend_url, (backend_data / KIOSK_TOKEN_FILE).read_text().strip())
                first = kiosks.run("start", kiosks.paired_data_dir())
                cold, warm = [], []
                for _ in range(RUNS):
                    data_dir = kiosks.paired_data_dir()
                    cold.append(kiosks.run("start", data_dir))
                    warm.append(kiosks.run("start", data_dir))
                    if not (data_dir / "config.json").exists():
                        raise RuntimeError("the cold start did not cache the configuration")
                screens = kiosks.run("screens", data_dir)
        except Exception as error:
            print(f"error: {error}", file=sys.stderr)
            log = backend_log.read_text(errors="replace").strip() if backend_log.exists() else ""
            if log:
                print(f"\nbackend log (WARNING and above):\n{log}", file=sys.stderr)
            return 1
    report(first, cold, warm, screens, (load_before, os.getloadavg()[0]))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=["start", "screens"], help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--backend", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.data_dir, args.backend)
    ensure_display()
    return parent()


if __name__ == "__main__":
    sys.exit(main())
