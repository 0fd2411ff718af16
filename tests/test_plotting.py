"""lrsched.plot and the HTML preview: what a picture shows (legend outside the data, scales, labelled marks,
the inset of a short warmup, log axes with zeros) and the files it writes (.png, .svg, .pdf, .html)."""

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import lrsched
from lrsched import html_preview, plotting
from lrsched.cli import main
from peers import require

COSINE = lrsched.cosine(init_value=1.0, steps=1000)
SGDR = lrsched.sgdr(peak_value=1.0, cycle_steps=100)
WC_1M = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2000, total_steps=1_000_000)


@pytest.fixture
def plt():
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def _drawn(fig):
    fig.canvas.draw()
    return fig


def _png_size(path):
    data = open(path, "rb").read(24)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _inside(inner, outer):
    return inner.x0 >= outer.x0 - 0.5 and inner.x1 <= outer.x1 + 0.5 and inner.y0 >= outer.y0 - 0.5 and (
        inner.y1 <= outer.y1 + 0.5
    )


# -- the legend ---------------------------------------------------------------------------------------------


def test_the_legend_covers_no_curve(plt):
    # the report: the legend sat over the SGDR troughs
    fig = _drawn(plotting.plot([COSINE, SGDR], 1000, labels=["cosine init_value=1 steps=1000",
                                                             "sgdr peak_value=1 cycle_steps=100"]))  # fmt: skip
    (ax,) = fig.axes
    (legend,) = fig.legends
    box, area = legend.get_window_extent(), ax.get_window_extent()
    assert not box.overlaps(area) and box.y1 <= area.y0  # below the axes
    assert _inside(box, fig.bbox)


def test_a_legend_into_given_axes_goes_right_of_them(plt):
    fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    plotting.plot([COSINE, SGDR], 1000, ax=ax, labels=["a cosine", "an sgdr"])
    _drawn(fig)
    box, area = ax.get_legend().get_window_extent(), ax.get_window_extent()
    assert not box.overlaps(area) and box.x0 >= area.x1 and _inside(box, fig.bbox)


def test_a_200_character_label_is_wrapped_and_leaves_the_axes_their_width(plt):
    label = "warmup_cosine " + " ".join(f"argument_{k}={k / 7:.5f}" for k in range(20))
    label = label[:200]
    assert len(label) == 200
    fig = _drawn(plotting.plot([COSINE, SGDR], 1000, labels=[label, "sgdr"]))
    (ax,) = fig.axes
    (legend,) = fig.legends
    assert ax.get_window_extent().width >= 0.75 * fig.bbox.width
    assert _inside(legend.get_window_extent(), fig.bbox)
    texts = [t.get_text() for t in legend.get_texts()]
    assert "\n" in texts[0] and texts[0].replace("\n", " ").startswith("warmup_cosine argument_0")


# -- axes, ticks, marks ---------------------------------------------------------------------------------------


def test_the_axes_say_learning_rate_and_step_with_readable_ticks(plt):
    fig = _drawn(plotting.plot(WC_1M, 1_000_000))
    ax = fig.axes[0]
    assert ax.get_ylabel() == "learning rate" and ax.get_xlabel() == "step"
    ys = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    xs = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "3e-4" in ys and "1e-4" in ys and not any(re.search(r"0\.00", t) for t in ys), ys
    assert "200k" in xs and "1M" not in xs[:-1], xs
    fig = plotting.plot(lrsched.constant(0.9), 10, ylabel="momentum")
    assert fig.axes[0].get_ylabel() == "momentum"


@pytest.mark.parametrize(
    "value, text",
    [(0.0, "0"), (3e-4, "3e-4"), (0.00015000000000000001, "1.5e-4"), (2.5e-5, "2.5e-5"), (0.05, "0.05"),
     (0.3, "0.3"), (1.0, "1"), (0.001, "1e-3"), (0.0099, "9.9e-3"), (250.0, "250"), (3e6, "3e6"), (-2e-4, "-2e-4")],
)  # fmt: skip
def test_values_are_written_as_in_a_config_file(value, text):
    assert plotting.value_label(value) == text


def test_phase_marks_are_named_and_in_their_curves_colour(plt):
    wc = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=100, total_steps=1000)
    fig = _drawn(plotting.plot([wc, SGDR], 1000))
    ax = fig.axes[0]
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "end of warmup" in texts and "restart" in texts
    curve_colors = [line.get_color() for line in ax.get_lines() if line.get_gid() is None][:2]
    warmup = [line for line in ax.get_lines() if line.get_gid() == "mark-warmup"]
    restarts = [line for line in ax.get_lines() if line.get_gid() == "mark-restart"]
    assert [line.get_xdata()[0] for line in warmup] == [100] and warmup[0].get_color() == curve_colors[0]
    assert sorted(line.get_xdata()[0] for line in restarts) == list(range(100, 1000, 100))
    assert {line.get_color() for line in restarts} == {curve_colors[1]}
    # nothing to name: no mark entries
    fig = _drawn(plotting.plot(COSINE, 1000))
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [repr(COSINE)]


# -- the inset of a short first phase --------------------------------------------------------------------------


def _insets(fig):
    return [a for a in fig.axes[0].child_axes if a.get_gid() == "inset"]


def test_a_warmup_under_2_percent_gets_an_inset_that_shows_it(plt):
    fig = _drawn(plotting.plot(WC_1M, 1_000_000))
    (inset,) = _insets(fig)
    lo, hi = inset.get_xlim()
    assert lo == 0 and 2000 < hi <= 10_000
    (line,) = [ln for ln in inset.get_lines() if ln.get_gid() is None and len(ln.get_xdata()) > 2]
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    assert y[0] == 0.0 and y.max() == pytest.approx(3e-4) and x[np.argmax(y)] == 2000  # the warmup, visible
    # the inset does not sit on the curve: few of the main curve's points fall in its box
    box = inset.get_window_extent()
    main = fig.axes[0].get_lines()[0]
    points = fig.axes[0].transData.transform(np.c_[main.get_xdata(), main.get_ydata()])
    assert np.mean([box.contains(px, py) for px, py in points]) < 0.02


@pytest.mark.parametrize("s, n", [(lrsched.warmup_cosine(peak_value=1.0, warmup_steps=100_000, total_steps=1_000_000),
                                   1_000_000), (COSINE, 1000), (SGDR, 1000)], ids=["warmup-10%", "cosine", "sgdr"])  # fmt: skip
def test_no_inset_when_the_first_phase_is_long_enough_to_see(plt, s, n):
    assert _insets(_drawn(plotting.plot(s, n))) == []


def test_the_inset_can_be_forced_or_refused(plt):
    assert len(_insets(plotting.plot(COSINE, 1000, inset=True))) == 1
    assert _insets(plotting.plot(WC_1M, 1_000_000, inset=False)) == []


# -- log axes ---------------------------------------------------------------------------------------------


def test_log_leaves_zeros_out_and_says_where(plt):
    s = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2000, total_steps=100_000, end_value=3e-6)
    fig = _drawn(plotting.plot(s, 100_000, log=True))
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    y = np.asarray(ax.get_lines()[0].get_ydata(), float)
    x = np.asarray(ax.get_lines()[0].get_xdata())
    assert x[0] == 0 and np.isnan(y[0])  # step 0 (value 0) is left out
    assert np.all(y[1:] > 0)
    notes = [t.get_text() for t in ax.texts if t.get_gid() == "log-note"]
    assert notes == ["values <= 0 not drawn on a log axis: step 0"]
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and not any("0.00" in t for t in labels)


def test_log_note_names_each_run_of_nonpositive_steps(plt):
    s = lrsched.cosine(init_value=1.0, steps=10)  # 0 from step 10 on
    fig = plotting.plot(s, 20, log=True)
    notes = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "log-note"]
    assert notes == ["values <= 0 not drawn on a log axis: steps 10..19"]


def test_log_with_no_positive_value_is_refused(plt):
    with pytest.raises(ValueError, match=r"plot: `log` must be False when no value is > 0"):
        plotting.plot(lrsched.constant(0.0), 100, log=True)
    with pytest.raises(ValueError, match=r"`log`"):
        plotting.plot(lrsched.constant(0.0), 100, "x.html", log=True)


# -- files --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dpi, size", [(100, (800, 450)), (150, (1200, 675)), (200, (1600, 900))])
def test_dpi_sets_the_pixel_size(plt, tmp_path, dpi, size):
    path = tmp_path / "lr.png"
    plotting.plot([COSINE, SGDR], 1000, path, dpi=dpi)
    assert _png_size(path) == size


def test_default_png_is_8_by_4_5_inches_at_150_dpi(plt, tmp_path):
    plotting.plot(COSINE, 1000, tmp_path / "lr.png")
    assert _png_size(tmp_path / "lr.png") == (1200, 675)


def test_svg_and_pdf_are_valid(plt, tmp_path):
    plotting.plot([COSINE, SGDR], 1000, tmp_path / "lr.svg")
    root = ET.fromstring((tmp_path / "lr.svg").read_bytes())
    assert root.tag.endswith("svg") and len(list(root.iter())) > 50
    plotting.plot([COSINE, SGDR], 1000, tmp_path / "lr.pdf")
    pdf = (tmp_path / "lr.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert sorted(os.listdir(tmp_path)) == ["lr.pdf", "lr.svg"]


def _page_data(text):
    found = re.search(r'<script type="application/json" id="lrsched-data">(.*?)</script>', text, re.S)
    return json.loads(found.group(1))


def test_html_holds_the_data_and_loads_nothing(tmp_path):
    path = tmp_path / "lr.html"
    label = "</script><img src=x onerror=alert(1)> & co"
    assert plotting.plot([COSINE, SGDR], 1000, path, labels=[label, "sgdr"], title="two") is None
    text = path.read_text(encoding="utf-8")
    page = re.sub(r'(id="lrsched-data">).*?(</script>)', r"\1\2", text, flags=re.S)  # the page without its data
    assert "http" not in text.lower() and not re.search(r"\b(src|href|url)\s*[=(]", page)
    assert "<img" not in text and text.count("</script>") == 2  # the label stays data, escaped in the JSON
    data = _page_data(text)
    steps = np.array(data["steps"])
    assert steps[0] == 0 and steps[-1] == 999 and np.all(np.diff(steps) > 0)
    assert data["series"][0]["label"] == label and data["title"] == "two"
    for s, series in zip((COSINE, SGDR), data["series"]):
        np.testing.assert_array_equal(series["values"], s(steps))  # each schedule's own value at every step
    assert [m[0] for m in data["series"][1]["marks"]] == list(range(100, 1000, 100))
    assert {m[1] for m in data["series"][1]["marks"]} == {"restart"}
    assert os.listdir(tmp_path) == ["lr.html"]


def test_html_of_a_long_table_is_decimated_with_its_extremes(tmp_path):
    s = lrsched.sgdr(peak_value=1.0, cycle_steps=7, end_value=0.0)
    plotting.plot([s, COSINE], 1_000_003, tmp_path / "lr.html")
    data = _page_data((tmp_path / "lr.html").read_text())
    values = np.array(data["series"][0]["values"])
    assert len(data["steps"]) <= 2 * html_preview.POINTS + 100
    table = s.table(1_000_003)
    assert values.max() == table.max() and values.min() == table.min() and data["steps"][-1] == 1_000_002


def test_html_needs_no_matplotlib(tmp_path):
    code = ("import sys; sys.modules['matplotlib'] = None\n"  # any import of matplotlib fails
            "import lrsched\n"
            f"lrsched.plot(lrsched.cosine(init_value=1.0, steps=100), 100, {str(tmp_path / 'lr.html')!r})\n"
            "print(sorted(m for m in sys.modules if m.startswith('matplotlib')))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['matplotlib']" and (tmp_path / "lr.html").stat().st_size > 1000


class _Failing:
    """A writer whose first write lands half its bytes and then fails: a disk that fills midway."""

    def __init__(self, f):
        self.f = f

    def write(self, b):
        self.f.write(bytes(b)[: len(b) // 2])
        raise OSError(28, "No space left on device")

    def __getattr__(self, name):
        return getattr(self.f, name)


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf", ".html"])
def test_every_format_is_written_atomically(plt, tmp_path, monkeypatch, suffix):
    import contextlib

    from lrsched import tables

    path = tmp_path / f"lr{suffix}"
    plotting.plot(COSINE, 100, path)
    before = path.read_bytes()
    calls = []

    @contextlib.contextmanager
    def failing(p):
        calls.append(p)
        with tables.write_atomically(p) as f:
            yield _Failing(f)

    monkeypatch.setattr(plotting, "write_atomically", failing)
    monkeypatch.setattr(html_preview, "write_atomically", failing)
    with pytest.raises(OSError):
        plotting.plot(SGDR, 1000, path)
    assert calls == [path] and path.read_bytes() == before and os.listdir(tmp_path) == [path.name]


# -- previews past the exact limit --------------------------------------------------------------------------


def test_the_sampled_path_at_2_40_steps(plt, tmp_path):
    n = 2**40
    wc = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2000, total_steps=n, end_value=3e-5)
    sg = lrsched.sgdr(peak_value=3e-4, cycle_steps=10**10)
    fig = _drawn(plotting.plot([wc, sg], n, tmp_path / "long.png"))
    assert _png_size(tmp_path / "long.png") == (1200, 675)
    xs = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert any(t.endswith("T") for t in xs) and len(_insets(fig)) == 1
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "end of warmup" in texts and "restart" in texts
    plotting.plot([wc, sg], n, tmp_path / "long.html")
    data = _page_data((tmp_path / "long.html").read_text())
    at = np.array(data["steps"])
    assert data["sampled"] and at[-1] == n - 1 and at.size <= 2 * html_preview.POINTS + 400
    np.testing.assert_array_equal(data["series"][0]["values"], wc(at))


# -- the command -------------------------------------------------------------------------------------------


def test_the_command_writes_html_png_with_dpi_and_log(plt, tmp_path, capsys):
    spec = ["warmup_cosine", "peak_value=3e-4", "warmup_steps=2000", "total_steps=1000000"]
    assert main(["plot", *spec, "--steps", "1000000", "-o", str(tmp_path / "lr.html"), "-q"]) == 0
    assert _page_data((tmp_path / "lr.html").read_text())["series"][0]["label"] == " ".join(spec)
    assert main(["plot", *spec, "--steps", "1000000", "--dpi", "100", "--log", "-o", str(tmp_path / "lr.png")]) == 0
    assert _png_size(tmp_path / "lr.png") == (800, 450)
    capsys.readouterr()
    assert main(["plot", "constant", "value=0", "--steps", "10", "--log", "-o", str(tmp_path / "z.png")]) == 1
    err = capsys.readouterr().err
    assert "--log needs a value > 0" in err and "log=True" not in err
    assert main(["plot", *spec, "--steps", "10", "--dpi", "1", "-o", str(tmp_path / "d.png")]) == 1
    assert "--dpi" in capsys.readouterr().err
