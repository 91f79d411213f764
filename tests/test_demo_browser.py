"""The demo in a real browser: Debian's chromium, driven by Playwright, against `strikesim demo`.

Playwright never downloads a browser here: it launches /usr/bin/chromium (``.ci/run`` installs it
from ``.ci/apt-packages.txt``). Without it the test is skipped, saying why.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

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
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def demo_url(tmp_path: Path) -> Iterator[str]:
    """``python -m strikesim demo`` on a free local port, stopped after the test."""
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "strikesim", "demo", "--port", str(port)],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
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
                        f"demo server did not start:\n{(tmp_path / 'server.log').read_text()}"
                    )
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert f"open {url}" in (tmp_path / "server.log").read_text()  # the URL is printed


def test_page_loads_slider_and_step_change_the_chart_and_counter(
    demo_url: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(demo_url)
            counter = page.locator(".strikesim-counter")
            expect(counter).to_be_visible(timeout=90_000)
            chart = page.locator(".strikesim-chart img")
            expect(page.get_by_text("What you are seeing.")).to_be_visible()
            first_count, first_chart = counter.inner_text(), chart.get_attribute("src")

            # drag the temperature up: a warmer day, more would march (same town, same day)
            slider = page.locator(".v-input", has_text="Temperature").locator(".v-slider")
            box = slider.bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + box["width"] * 0.9, box["y"] + box["height"] / 2)
            expect(page.get_by_text("Temperature 8 °F")).to_have_count(0, timeout=30_000)
            expect(counter).not_to_have_text(first_count, timeout=30_000)
            warm_count = counter.inner_text()
            page.wait_for_timeout(1000)  # let the chart follow the counter
            warm_chart = chart.get_attribute("src")
            assert warm_chart != first_chart
            assert int(warm_count.replace(",", "")) > int(first_count.replace(",", ""))

            page.get_by_role("button", name="Step").click()
            # Mesa 3.3 shows "Step: 1", Mesa 3.5 "Time: 1.0"
            day_one = re.compile(r"^(Step: 1|Time: 1\.0)$")
            expect(page.get_by_text(day_one)).to_be_visible(timeout=30_000)
            expect(counter).not_to_have_text(warm_count, timeout=30_000)
            expect(chart).not_to_have_attribute("src", warm_chart or "", timeout=30_000)
            page.screenshot(path=tmp_path / "demo.png", full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "demo.png").read_bytes()[:4] == b"\x89PNG"
