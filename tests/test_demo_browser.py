"""The demo in a real browser: Debian's chromium, driven by Playwright, against `strikesim demo`
and against its static export opened from file:// with no server.

Playwright never downloads a browser here: it launches /usr/bin/chromium (``.ci/run`` installs it
from ``.ci/apt-packages.txt``). Without it the tests are skipped, saying why. Timings are not
asserted here (benchmarks/demo.py measures them); waits are generous because the machine is shared.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT = 120_000  # ms: the first scene on a loaded 2-core machine
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m strikesim demo`` on a free local port, stopped after the module's tests."""
    folder = tmp_path_factory.mktemp("server")
    port = free_port()
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "strikesim", "demo", "--port", str(port)],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"demo server did not start:\n{(folder / 'server.log').read_text()}"
                    )
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    printed = (folder / "server.log").read_text()
    assert printed == f"strikesim demo: open {url}  (Ctrl-C stops it)\n"  # nothing per load


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, demo_url: str) -> Iterator[Any]:
    """The page at a projector's 1024 x 768, loaded; fails on any console error."""
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.set_default_timeout(WAIT)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(demo_url)
    ready(page)
    yield page
    page.close()
    assert errors == []


def ready(page: Any) -> None:
    """Wait until the drawn town and the projection over every town are on the page."""
    page.wait_for_function(
        "window.strikesimPage && strikesimPage.town && strikesimPage.scene.projection",
        timeout=WAIT,
    )


def state(page: Any, expression: str) -> Any:
    return page.evaluate(f"() => {expression}")


def set_slider(page: Any, name: str, value: float) -> None:
    """Move a slider as a drag ends: its value, then the input and change events."""
    page.evaluate(
        """([name, value]) => {
            const input = document.querySelector(`input[name="${name}"]`);
            input.value = value;
            input.dispatchEvent(new Event("input"));
            input.dispatchEvent(new Event("change"));
        }""",
        [name, value],
    )


SMALL_TEXT = """() => {
    const small = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const element = node.parentElement;
        if (!node.textContent.trim() || !element.getClientRects().length) continue;
        const size = parseFloat(getComputedStyle(element).fontSize);
        if (size < 14) small.push(`${size}px: ${node.textContent.trim().slice(0, 40)}`);
    }
    return small;
}"""


def test_projector_readable_at_1024x768(page: Any) -> None:
    assert page.evaluate(SMALL_TEXT) == []  # every visible text >= 14 px
    last = state(page, "strikesimPage.scene.last_day")
    assert page.locator("#day").inner_text() == f"Day 0 of {last} — campaign day"
    page.get_by_role("button", name="Step").click()
    page.get_by_role("button", name="Step").click()
    assert page.locator("#day").inner_text() == f"Day 2 of {last} — campaign day"
    for name in ("Step", "Play", "Reset"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box["height"] >= 40 and box["y"] + box["height"] <= 768  # big, in view
    switches = page.locator("#orgs label")
    assert switches.count() == len(state(page, "CAT.organizations"))
    for k in range(switches.count()):  # every organization switch without scrolling
        box = switches.nth(k).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 768
    for figure in ("network", "chart", "strip"):  # drawn at twice their size on screen
        css, pixels = page.evaluate(
            f"() => [{figure}.getBoundingClientRect().width, {figure}.width]"
        )
        assert pixels == round(css * 2)
    assert page.locator("#network").bounding_box()["width"] >= 400
    page.get_by_role("button", name="Reset").click()
    assert page.locator("#day").inner_text() == f"Day 0 of {last} — campaign day"


def test_changed_settings_read_custom_until_the_preset_is_restored(page: Any) -> None:
    label = page.locator("#label")
    assert label.inner_text() == "Ice Out, 13 Feb 2026 (8 °F)"
    first = page.locator("#median").inner_text()
    set_slider(page, "temperature_f", 60)
    custom = "custom (changed from Ice Out, 13 Feb 2026 (8 °F): Temperature 60 °F)"
    page.wait_for_function(f"document.querySelector('#label').textContent === {custom!r}")
    assert page.locator("#preset").input_value() == "custom"
    ready(page)
    assert page.locator("#median").inner_text() != first  # the warmer day's own projection
    page.locator("#orgs input[value='seiu_26']").uncheck()
    page.wait_for_function("document.querySelector('#label').textContent.includes('6 endorsers')")
    page.get_by_role("button", name="Restore preset").click()
    page.wait_for_function(
        "document.querySelector('#label').textContent === 'Ice Out, 13 Feb 2026 (8 °F)'"
    )
    assert not page.get_by_role("button", name="Restore preset").is_visible()
    ready(page)
    assert page.locator("#median").inner_text() == first
    page.locator("#preset").select_option("jan23")
    page.wait_for_function(
        "document.querySelector('#label').textContent.startsWith('Day of Truth')"
    )
    assert page.locator("#observed").inner_text() == "observed ~30,000 (23 Jan 2026)"


def test_a_pinned_run_stays_on_a_fixed_axis_beside_the_new_one(page: Any) -> None:
    for _ in range(5):
        page.get_by_role("button", name="Step").click()
    page.get_by_role("button", name="Pin this run").click()
    pinned = page.locator("#pinned")
    assert pinned.inner_text().startswith("pinned: Ice Out, 13 Feb 2026 (8 °F), town 1 — marching ")
    y_max, ticks = page.evaluate("() => [chart.dataset.yMax, chart.dataset.xTicks]")
    set_slider(page, "temperature_f", 60)
    page.wait_for_function("strikesimPage.scene.settings.temperature_f === '60'")
    ready(page)
    assert pinned.is_visible() and "8 °F" in pinned.inner_text()  # the baseline stays
    assert page.evaluate("() => chart.dataset.yMax") == y_max  # no rescaling
    assert all(re.fullmatch(r"\d+", t) for t in ticks.split(","))  # whole days only
    assert state(page, "strikesimPage.day") == 5  # same town, same day: a counterfactual
    baseline = state(page, "strikesimPage.pinned.marching")
    warm = state(
        page,
        "strikesimPage.scene.runs[0].series.marching.map(v => v * strikesimPage.scene.city_factor)",
    )
    assert warm[-1] > baseline[-1]  # warmer on the strike day: more march
    legend = page.locator("#chart-legend").bounding_box()
    chart = page.locator("#chart").bounding_box()
    assert legend["y"] + legend["height"] <= chart["y"]  # the legend never covers the data


def test_why_names_who_committed_today_and_through_what(page: Any) -> None:
    commit = state(page, "strikesimPage.scene.runs[0].commit_day")
    channels = state(page, "strikesimPage.scene.runs[0].channel")
    names = state(page, "CAT.channels")
    organizers = commit.count(0)
    assert (
        page.locator("#why-today")
        .inner_text()
        .startswith(f"Why, day 0: {organizers} people are committed before any call")
    )
    assert re.search(
        rf"Day-0 organizers in this town: {organizers} \(", page.locator("#organizers").inner_text()
    )
    day = next(d for d in range(1, max(commit) + 1) if commit.count(d) >= 2)
    for _ in range(day):
        page.get_by_role("button", name="Step").click()
    today = [names[c] for d, c in zip(commit, channels, strict=True) if d == day]
    assert (
        page.locator("#why-today").inner_text()
        == f"Why, day {day}: {len(today)} people committed today:"
    )
    items = page.locator("#why li").all_inner_texts()
    assert sum(int(item.split()[0]) for item in items) == len(today)
    assert len(items) == len(set(today))
    assert state(
        page, "strikesimPage.scene.runs[0].commit_day.filter(d => d === strikesimPage.day).length"
    ) == len(today)


def test_endorser_bars_count_each_endorser_left_out(page: Any) -> None:
    page.locator("#preset").select_option("narrow")
    page.wait_for_function("strikesimPage.scene.settings.preset === 'narrow'")
    endorsers = state(page, "strikesimPage.scene.settings.endorsers").split(",")
    page.get_by_role("button", name="Count").click()
    rows = page.locator(".bar-row")
    rows.nth(len(endorsers) - 1).wait_for(timeout=WAIT)
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.org)")) == sorted(endorsers)
    values = [int(v.replace(",", "")) for v in page.locator(".bar-row .value").all_inner_texts()]
    assert values == sorted(values, reverse=True)  # largest first


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from strikesim.viz.demo.export import export_site

    site = tmp_path_factory.mktemp("export") / "site"
    # two switches of the roster: one the preset has (off), one it has not (on)
    export_site(
        site, presets=("narrow",), temperatures=(60,), organizations=("seiu_26", "unite_here_17")
    )
    return site


def test_static_export_plays_from_file_with_no_server(
    browser: Any, exported: Path, demo_url: str, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.set_default_timeout(WAIT)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("http*://**", lambda route: route.abort())  # no server, no network
    page.goto((exported / "index.html").as_uri())
    ready(page)
    assert page.locator("#label").inner_text() == "Ice Out, narrow coalition (8 °F)"
    query = "preset=narrow"
    with urllib.request.urlopen(f"{demo_url}api/scene?{query}") as reply:
        live = json.loads(reply.read())
    assert page.locator("#median").inner_text() == f"{live['projection']['median']:,}"
    assert state(page, "strikesimPage.scene.runs[2]") == live["runs"]["2"]  # same numbers
    assert page.locator(".bar-row").count() == len(live["settings"]["endorsers"].split(","))
    for _ in range(3):
        page.get_by_role("button", name="Step").click()
    assert page.locator("#day").inner_text().startswith("Day 3 of ")
    set_slider(page, "temperature_f", 1)  # the second stop of the exported grid: 60 °F
    page.wait_for_function("strikesimPage.scene.settings.temperature_f === '60'")
    assert page.locator("#label").inner_text().endswith("Temperature 60 °F)")
    page.locator("#no-endorser input").check()
    page.wait_for_function("strikesimPage.scene.settings.endorsers === ''")
    assert page.locator("#bars").inner_text() == "No endorser: nobody to credit."
    page.locator("#no-endorser input").uncheck()
    page.wait_for_function("strikesimPage.scene.settings.endorsers !== ''")
    assert page.locator("#notice").is_hidden()
    # a switch at 60 °F is two controls from the preset: the copy starts again from the preset
    page.locator('#orgs input[value="unite_here_17"]').check()
    page.wait_for_function("strikesimPage.scene.settings.endorsers.includes('unite_here_17')")
    assert page.locator("#notice").is_visible()
    assert page.locator("#label").inner_text().endswith(": 4 endorsers instead of 3)")
    settings = state(page, "strikesimPage.settings")
    assert settings["temperature_f"] == "8"
    with urllib.request.urlopen(f"{demo_url}api/projection?{urlencode(settings)}") as reply:
        live = json.loads(reply.read())
    assert state(page, "strikesimPage.scene.projection") == live  # the live numbers
    assert page.locator("#median").inner_text() == f"{live['median']:,}"
    assert page.locator(".bar-row").count() == 4
    assert page.locator('#orgs input[value="seiu_26"]').is_enabled()
    assert page.locator('#orgs input[value="copal"]').is_disabled()  # not in this grid
    page.screenshot(path=tmp_path / "static.png")
    page.close()
    assert errors == []
