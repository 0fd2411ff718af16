"""The HTML preview in a real browser: Debian's Chromium (/usr/bin/chromium), driven by playwright.

The page is written by the command (``lrsched plot ... -o lr.html``), opened from file:// with every
other request refused, then: the screenshot has each curve's colour where the schedule says (a cosine
high at the left and low at the right, a rising line the other way); hovering at a step read through
the page's own axis mapping shows that step and each schedule's ``at(step)`` as the page writes values;
dragging and the wheel zoom; a double-click resets.  ``.ci/run`` installs chromium; playwright's own
browser download (``playwright install``) is never used.  With LRSCHED_REQUIRE_PEERS=1 a missing
playwright or chromium fails instead of skipping.
"""

import io
import os

import numpy as np
import pytest

import lrsched
from lrsched.cli import main
from lrsched.plotting import value_label
from peers import require

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
STEPS = 1000
SPECS = [["cosine", "init_value=1", "steps=1000"], ["linear", "init_value=0.1", "end_value=1", "steps=1000"]]
SCHEDULES = [lrsched.cosine(init_value=1.0, steps=1000), lrsched.linear(init_value=0.1, end_value=1.0, steps=1000)]
COLORS = [(0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E)]  # the page's first two colours (matplotlib's)


@pytest.fixture(scope="module")
def browser():
    sync_api = require("playwright.sync_api")
    if not os.access(CHROMIUM, os.X_OK):
        message = f"no browser at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("LRSCHED_REQUIRE_PEERS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path):
    path = tmp_path / "lr.html"
    argv = ["plot", *SPECS[0], *SPECS[1], "--steps", str(STEPS), "--title", "two schedules", "-q", "-o", str(path)]
    assert main(argv) == 0
    page = browser.new_page(viewport={"width": 1000, "height": 720}, device_scale_factor=1)
    requests, errors = [], []
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_selector("#lrsched-canvas[data-ready='1']")
    yield page
    assert errors == []
    assert requests == [path.as_uri()]  # the page loads nothing but itself
    page.close()


def _mapping(page):
    canvas = page.locator("#lrsched-canvas")
    box = canvas.bounding_box()
    d = canvas.evaluate("e => Object.assign({}, e.dataset)")
    return box, {k: float(v) for k, v in d.items()}


def _client_x(box, m, step):
    return box["x"] + m["left"] + (step - m["x0"]) / (m["x1"] - m["x0"]) * (m["right"] - m["left"])


def _client_y(box, m, value):
    return box["y"] + m["bottom"] - (value - m["y0"]) / (m["y1"] - m["y0"]) * (m["bottom"] - m["top"])


def _screenshot(page, tmp_path, name):
    Image = require("PIL.Image")
    data = page.screenshot()
    keep = os.environ.get("LRSCHED_BROWSER_SHOTS")  # a folder to keep the screenshots in, to look at them
    if keep:
        os.makedirs(keep, exist_ok=True)
        with open(os.path.join(keep, name), "wb") as f:
            f.write(data)
    (tmp_path / name).write_bytes(data)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def _ink(img, color, box, m, x_from, x_to):
    """Mean screen y of the pixels of ``color`` in the plot area between steps x_from and x_to (None: none)."""
    a, b = int(_client_x(box, m, x_from)), int(_client_x(box, m, x_to))
    top, bottom = int(box["y"] + m["top"]) + 2, int(box["y"] + m["bottom"]) - 2
    region = img[top:bottom, a:b]
    near = np.abs(region - np.array(color)).sum(axis=-1) < 60
    rows = np.nonzero(near)[0]
    return None if rows.size < 5 else top + rows.mean()


def test_the_curves_are_drawn_where_the_schedules_say(page, tmp_path):
    img = _screenshot(page, tmp_path, "preview.png")
    box, m = _mapping(page)
    assert (m["x0"], m["x1"]) == (0, STEPS - 1)
    for s, color in zip(SCHEDULES, COLORS):
        for lo, hi in ((5, 60), (450, 550), (930, 990)):
            y = _ink(img, color, box, m, lo, hi)
            assert y is not None, (s, lo)
            expected = _client_y(box, m, float(np.mean(s(np.arange(lo, hi)))))
            assert abs(y - expected) < 0.06 * (m["bottom"] - m["top"]), (s, lo, y, expected)
    blue_left, blue_right = _ink(img, COLORS[0], box, m, 5, 60), _ink(img, COLORS[0], box, m, 930, 990)
    assert blue_left < blue_right - 0.5 * (m["bottom"] - m["top"])  # the cosine: high at the left, low at the right
    legend = page.locator("#lrsched-legend").inner_text()
    assert "cosine init_value=1 steps=1000" in legend and "linear init_value=0.1" in legend
    assert page.locator("#lrsched-title").inner_text() == "two schedules"


def _hover(page, step):
    box, m = _mapping(page)
    page.mouse.move(_client_x(box, m, step), box["y"] + (m["top"] + m["bottom"]) / 2)
    tip = page.locator("#lrsched-tooltip")
    assert tip.is_visible()
    shown = int(tip.locator(".lrsched-tip-step").get_attribute("data-step"))
    values = tip.locator(".lrsched-tip-value").all_inner_texts()
    return shown, values, tip.locator(".lrsched-tip-step").inner_text()


def _check_values(page, step, values):
    for s, text in zip(SCHEDULES, values, strict=True):
        v = s.at(step)
        assert text == page.evaluate("v => window.lrschedPreview.fmt(v)", v)  # the page's own format
        assert text == value_label(v, 6)  # the same rule as the pictures' ticks
        assert float(text) == pytest.approx(v, rel=1e-5)


def test_hover_shows_the_step_and_each_schedules_value(page):
    for step in (123, 500, 871):
        shown, values, head = _hover(page, step)
        box, m = _mapping(page)
        per_pixel = (m["x1"] - m["x0"]) / (m["right"] - m["left"])
        assert abs(shown - step) <= max(1, per_pixel)
        assert head == f"step {shown:,}"
        _check_values(page, shown, values)


def test_drag_and_wheel_zoom_and_double_click_resets(page, tmp_path):
    box, m = _mapping(page)
    y = box["y"] + (m["top"] + m["bottom"]) / 2
    page.mouse.move(_client_x(box, m, 200), y)
    page.mouse.down()
    page.mouse.move(_client_x(box, m, 400), y, steps=8)
    page.mouse.up()
    box, m = _mapping(page)
    assert m["x0"] == pytest.approx(200, abs=2) and m["x1"] == pytest.approx(400, abs=2)
    # zoomed in, a hover reads single steps: 5 pixels or so per step
    shown, values, _ = _hover(page, 301)
    assert shown == 301
    _check_values(page, shown, values)
    _screenshot(page, tmp_path, "zoomed.png")
    before = m["x1"] - m["x0"]
    page.mouse.move(_client_x(box, m, 300), y)
    page.mouse.wheel(0, -300)
    page.wait_for_function(f"document.getElementById('lrsched-canvas').dataset.x1 - "
                           f"document.getElementById('lrsched-canvas').dataset.x0 < {before}")  # fmt: skip
    box, m = _mapping(page)
    assert m["x0"] > 200 and m["x1"] < 400 and m["x0"] < 300 < m["x1"]  # narrower, around the cursor
    page.mouse.dblclick(_client_x(box, m, 300), y)
    box, m = _mapping(page)
    assert (m["x0"], m["x1"]) == (0, STEPS - 1)

