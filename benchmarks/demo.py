"""How fast the classroom page is, and whether a day of page loads costs memory; screenshots.

    .venv/bin/python benchmarks/demo.py                              # ~2 minutes; a table
    .venv/bin/python benchmarks/demo.py --screenshots docs/figures   # and the docs' pictures
    .venv/bin/python benchmarks/demo.py --export                     # and the full static export
    .venv/bin/python benchmarks/demo.py --spread                     # only the towns' spread

Drives `strikesim demo` with Debian's chromium (Playwright, headless, /usr/bin/chromium):

1. *start-up*: seconds from the command to a usable page (the town drawn, the counter of the
   drawn town shown) and to the projection over every town; with the server's CPU seconds, which
   do not depend on what else the shared machine runs. Then where the server's start-up goes
   (a fresh interpreter doing the same steps in order, CPU and wall seconds of each).
2. *step*, *slider*, *preset*: milliseconds from the click (or the slider's release) to the page
   showing the new day or settings, median and max of several; a slider or preset has two
   stages, the drawn town first and the projection over every town after it.
3. *memory*: the server's resident memory after the first load and after 50 page loads (each a
   fresh page, closed), and whether it printed anything but its URL line.
4. *export* (``--export``): seconds and megabytes of ``strikesim demo --export`` (the full grid).

Targets (issue "Classroom"): a usable page within 5 s; a step, slider or preset within 0.3 s;
memory bounded after 50 loads; nothing printed per load. No assertion: a table.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
WAIT = 180_000
USABLE = "window.strikesimPage && strikesimPage.town && document.querySelector('#town-counter')"
COMPLETE = f"{USABLE} && strikesimPage.scene.projection"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """Resident memory of a process, MiB, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def in_page_ms(page: Page, action: str, until: str) -> float:
    """Milliseconds, measured by the page's own clock, from ``action`` to ``until`` holding."""
    return page.evaluate(
        """async ([action, until]) => {
            const start = performance.now();
            new Function(action)();
            while (!new Function(`return ${until}`)()) await new Promise(r => setTimeout(r, 5));
            await new Promise(r => requestAnimationFrame(r));
            return performance.now() - start;
        }""",
        [action, until],
    )


def slide(name: str, value: float) -> str:
    return (
        f"const i = document.querySelector('input[name=\"{name}\"]'); i.value = {value};"
        "i.dispatchEvent(new Event('input')); i.dispatchEvent(new Event('change'));"
    )


def measure(shots: Path | None) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Run the server and the browser; return the table's rows and notes."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    rows: list[tuple[str, str, str]] = []
    notes = []
    with tempfile.TemporaryFile(mode="w+") as log, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        start = time.monotonic()  # the browser is open already, as on the teacher's desk
        server = subprocess.Popen(
            [sys.executable, "-m", "strikesim", "demo", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            page.set_default_timeout(WAIT)
            while True:
                try:
                    page.goto(url)
                    break
                except Exception:  # not listening yet
                    time.sleep(0.05)
            page.wait_for_function(USABLE, polling=20)
            usable = time.monotonic() - start
            usable_cpu = cpu_seconds(server.pid)
            page.wait_for_function(COMPLETE, polling=20)
            complete = time.monotonic() - start
            rows.append(
                ("start-up: usable page", f"{usable:.1f} s", f"server CPU {usable_cpu:.1f} s")
            )
            rows.append(("start-up: projection over every town", f"{complete:.1f} s", ""))
            first_rss = rss_mib(server.pid)

            steps = [
                in_page_ms(page, "document.querySelector('#step').click()", "true")
                for _ in range(15)
            ]
            rows.append(timing("step (one day)", steps))
            sliders, projections, cpu = [], [], []
            for t in (20, 40, 60, 30, 50):
                until = f"strikesimPage.scene.settings.temperature_f === '{t}'"
                before = cpu_seconds(server.pid)
                sliders.append(in_page_ms(page, slide("temperature_f", t), until))
                projections.append(
                    in_page_ms(page, "", f"{until} && strikesimPage.scene.projection")
                )
                cpu.append(1000 * (cpu_seconds(server.pid) - before))
            rows.append(timing("slider: the drawn town", sliders))
            rows.append(timing("slider: + projection over 20 towns (after the town)", projections))
            rows.append(timing("slider: server CPU, town + projection", cpu, "ms CPU"))
            for name, values in (
                ("rewire_prob", (0.3, 0.5, 0.7, 0.2, 0.6)),
                ("friendship_degree", (4, 6, 10, 12, 14)),
                ("scale", (2, 3, 4, 5, 6)),
            ):
                drawn, projected = [], []
                for v in values:
                    until = f"Number(strikesimPage.scene.settings.{name}) === {v}"
                    drawn.append(in_page_ms(page, slide(name, v), until))
                    projected.append(
                        in_page_ms(page, "", f"{until} && strikesimPage.scene.projection")
                    )
                rows.append(timing(f"network slider {name}: the drawn town", drawn))
                rows.append(timing(f"network slider {name}: + projection", projected))
                rows.append(
                    timing(
                        f"network slider {name}: from the release",
                        [a + b for a, b in zip(drawn, projected, strict=True)],
                    )
                )
            page.click("#restore")
            page.wait_for_function("!strikesimPage.scene.custom && strikesimPage.scene.projection")
            towns = [
                in_page_ms(
                    page,
                    "const i = document.querySelector('#town'); i.value = "
                    f"{k}; i.dispatchEvent(new Event('input'));",
                    f"strikesimPage.townIndex === {k}",
                )
                for k in (5, 9, 13, 17)
            ]
            rows.append(timing("town slider: another town drawn (first time)", towns))
            page.evaluate(
                "const i = document.querySelector('#town'); i.value = 0;"
                "i.dispatchEvent(new Event('input'));"
            )
            page.wait_for_function("strikesimPage.townIndex === 0")
            presets, preset_projections = [], []
            for name in ("jan23", "narrow", "warm_day", "ice_out"):
                select = (
                    f"const s = document.querySelector('#preset'); s.value = '{name}';"
                    "s.dispatchEvent(new Event('change'));"
                )
                until = (
                    f"strikesimPage.scene.settings.preset === '{name}' && "
                    "!strikesimPage.scene.custom"
                )
                presets.append(in_page_ms(page, select, until))
                preset_projections.append(
                    in_page_ms(page, "", f"{until} && strikesimPage.scene.projection")
                )
            rows.append(timing("preset: the drawn town (first time)", presets))
            rows.append(timing("preset: + projection (first time)", preset_projections))
            again = [
                in_page_ms(
                    page,
                    f"const s = document.querySelector('#preset'); s.value = '{n}';"
                    "s.dispatchEvent(new Event('change'));",
                    f"strikesimPage.scene.settings.preset === '{n}' && "
                    "strikesimPage.scene.projection",
                )
                for n in ("jan23", "narrow", "warm_day", "ice_out")
            ]
            rows.append(timing("preset: again (cached)", again))
            if shots:
                screenshots(browser, page, url, shots)
            page.close()

            rss = {}
            for load in range(1, 51):
                fresh = browser.new_page(viewport={"width": 1024, "height": 768})
                fresh.goto(url)
                fresh.wait_for_function(COMPLETE, polling=50, timeout=WAIT)
                fresh.close()
                if load in (1, 10, 25, 50):
                    rss[load] = rss_mib(server.pid)
            rows.append(("server memory (RSS) after the first load", f"{first_rss:.0f} MiB", ""))
            rows.append(
                (
                    "... after the timings, then page loads 1/10/25/50",
                    " / ".join(f"{v:.0f}" for v in rss.values()) + " MiB",
                    "each load a fresh page, closed",
                )
            )
            browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
        log.seek(0)
        printed = log.read().splitlines()
    extra = "; ".join(printed[1:3])
    rows.append(("lines printed by the server", str(len(printed)), extra or "the URL line only"))
    notes.append(f"load average at the end: {os.getloadavg()[0]:.1f} (2 cores)")
    return rows, notes


STEPS = """
import time
marks = [("interpreter started", time.perf_counter(), time.process_time())]
def mark(what):
    marks.append((what, time.perf_counter(), time.process_time()))
import strikesim.cli.demo
mark("the command's own imports")
from strikesim.viz.demo import payload
from strikesim.viz.demo.scene import DEFAULT_PRESET, Settings
mark("imports: the model, Mesa, pandas, scipy, Hydra")
settings = Settings.from_preset(DEFAULT_PRESET)
payload.catalogue()
mark("the presets composed (one Hydra call) and the catalogue")
runs = payload.scene_runs(settings, range(1))
payload.scene(settings, runs)
mark("the drawn town run (37 days)")
payload.town(runs[0])
mark("its picture: igraph imported, the layout")
payload.projection(settings)
mark("projection over 20 towns (each town built)")
payload.projection(Settings.from_query({"preset": DEFAULT_PRESET, "temperature_f": "30"}))
mark("... another temperature (towns kept)")
moved = Settings.from_query({"preset": DEFAULT_PRESET, "rewire_prob": "0.3"})
moved_runs = payload.scene_runs(moved, range(1))
payload.town(moved_runs[0])
mark("... random ties 30%: the drawn town, its picture (people kept where drawn)")
payload.projection(moved)
mark("... random ties 30%: projection (people kept, ties built)")
for (_, w0, c0), (what, w1, c1) in zip(marks, marks[1:]):
    print(f"{what}\t{c1 - c0:.2f}\t{w1 - w0:.2f}")
"""


def startup_steps() -> list[tuple[str, str, str]]:
    """Where the server's start-up goes: the same steps in a fresh interpreter, in order."""
    out = subprocess.run(
        [sys.executable, "-c", STEPS], check=True, capture_output=True, text=True
    ).stdout
    rows = []
    for line in out.splitlines():
        what, cpu, wall = line.split("\t")
        rows.append((f"  start-up step: {what}", f"{float(cpu):.2f} s CPU", f"wall {wall} s"))
    return rows


def timing(what: str, ms: list[float], unit: str = "ms") -> tuple[str, str, str]:
    return (
        what,
        f"{statistics.median(ms):.0f} {unit} median",
        f"max {max(ms):.0f} ms, n={len(ms)}",
    )


def screenshots(browser: Any, page: Page, url: str, folder: Path) -> None:
    """The docs' pictures: projector view, custom + pinned compare, why + bars, half screen."""
    folder.mkdir(parents=True, exist_ok=True)
    projector = browser.new_page(viewport={"width": 1024, "height": 768})
    projector.set_default_timeout(WAIT)
    projector.goto(url)
    projector.wait_for_function(COMPLETE)
    for _ in range(16):
        projector.click("#step")
    projector.screenshot(path=folder / "demo_projector.png")
    projector.close()

    wide = browser.new_page(viewport={"width": 1400, "height": 1000})
    wide.set_default_timeout(WAIT)
    wide.goto(url)
    wide.wait_for_function(COMPLETE)
    for _ in range(37):
        wide.click("#step")
    wide.click("#pin")
    wide.evaluate(slide("temperature_f", 60))
    wide.wait_for_function(
        "strikesimPage.scene.settings.temperature_f === '60' && strikesimPage.scene.projection"
    )
    wide.screenshot(path=folder / "demo_compare.png")
    wide.click("#restore")
    wide.select_option("#preset", "narrow")
    wide.wait_for_function(
        "strikesimPage.scene.settings.preset === 'narrow' && strikesimPage.scene.projection"
    )
    wide.click("#reset")
    for _ in range(16):
        wide.click("#step")
    wide.click("#count")
    wide.wait_for_selector(".bar-row")
    wide.locator(".numbers").screenshot(path=folder / "demo_why.png")
    wide.close()

    half = browser.new_page(viewport={"width": 683, "height": 768})
    half.set_default_timeout(WAIT)
    half.goto(url)
    half.wait_for_function(COMPLETE)
    half.screenshot(path=folder / "demo_half_screen.png")
    half.close()

    from strikesim.viz.demo.export import export_site

    with tempfile.TemporaryDirectory() as tmp:
        export_site(Path(tmp) / "site", presets=("narrow",), temperatures=(60,), organizations=())
        static = browser.new_page(viewport={"width": 1400, "height": 1000})
        static.set_default_timeout(WAIT)
        static.route("http*://**", lambda route: route.abort())  # no server, no network
        static.goto((Path(tmp) / "site" / "index.html").as_uri())
        static.wait_for_function(COMPLETE)
        for _ in range(37):
            static.click("#step")
        static.screenshot(path=folder / "demo_static_export.png")
        static.close()


def export_row() -> tuple[str, str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        start = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "strikesim", "demo", "--export", str(site)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - start
        files = [p for p in site.rglob("*") if p.is_file()]
        mib = sum(p.stat().st_size for p in files) / 2**20
    return (
        "strikesim demo --export (full grid)",
        f"{seconds:.0f} s",
        f"{len(files)} files, {mib:.0f} MiB",
    )


def spread(towns: int = 100, per_set: int = 20) -> None:
    """How much one town, and the median of 20, move between towns: each preset on ``towns``
    towns (seeds 0..towns-1), then the median of each disjoint set of ``per_set``."""
    import numpy as np

    from strikesim.viz.demo.adapter import city_marchers
    from strikesim.viz.demo.scene import PRESETS, Settings, preset_config, preset_label

    print(f"{'preset':<36} {'observed':>9} {'one town, 5-95%':>19}  medians of {per_set} towns")
    for name in PRESETS:
        config = preset_config(name)
        keys = Settings.from_preset(name).keys()
        projected = np.rint(city_marchers(config, range(towns), [keys])[0])
        low, high = np.percentile(projected, [5, 95])
        sets = projected.reshape(-1, per_set)
        medians = " / ".join(f"{np.median(s):,.0f}" for s in sets)
        observed = config.scenario.observed_marchers
        print(f"{preset_label(name):<36} {observed:>9,} {low:>9,.0f}-{high:<9,.0f}  {medians}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screenshots", type=Path, help="save the docs' screenshots here")
    parser.add_argument("--export", action="store_true", help="also time the full static export")
    parser.add_argument("--spread", action="store_true", help="only the towns' spread (a table)")
    args = parser.parse_args()
    if args.spread:
        spread()
        return 0
    print(f"load average at the start: {os.getloadavg()[0]:.1f} (2 cores)")
    rows, notes = measure(args.screenshots)
    rows[2:2] = startup_steps()
    if args.export:
        rows.append(export_row())
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>22}  note")
    for what, value, note in rows:
        print(f"{what:<{width}}  {value:>22}  {note}")
    print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
