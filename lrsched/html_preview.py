"""An interactive preview of schedules in one self-contained ``.html`` file: ``write_html``.

``lrsched.plot(..., path="lr.html")`` and ``lrsched plot SPEC ... -o lr.html``
come here.  The page holds its data and its script inline and loads nothing
(no network, no other file): it opens from a disk, an artifact store or an
e-mail the same.  It needs NumPy only, not matplotlib.

What is embedded: the steps ``plotting.curves`` draws (every step up to a few
thousand steps; past that, each bin's extremes per curve, so no peak or
trough is lost; past ``preview.EXACT_LIMIT`` steps, a decimation of the
schedule's samples), merged into one set of steps at which every schedule's
own value is stored, so a hover reads each schedule at the same step.

What the page does: the curves overlaid on a ``<canvas>`` with a legend,
axes and ticks (values written as in a config file, as in the pictures:
``0.05``, ``3e-4``); phase marks in each curve's colour, one dash per kind;
hovering shows the nearest stored step and each schedule's value there, in
``#lrsched-tooltip``; dragging across the plot zooms into those steps, the
wheel zooms around the cursor, a double-click resets.  The canvas carries
its current mapping as data attributes (``data-x0``, ``data-x1`` steps;
``data-left``, ``data-right``, ``data-top``, ``data-bottom`` CSS pixels; and
``data-y0``, ``data-y1`` values), and ``window.lrschedPreview`` exposes the
data and the value formatter, for tests and for anyone scripting the page.
"""

from __future__ import annotations

import html
import json

import numpy as np

from . import _validate as V
from .plotting import MARK_KINDS, _decimate, curves, log_note
from .tables import write_atomically

# matplotlib's default colour cycle, so a PNG and an HTML preview of the same schedules agree
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
          "#17becf")  # fmt: skip
POINTS = 4_000  # per curve at most
ALL_POINTS = 12_000  # steps stored in all (fewer per curve when many curves are overlaid)
_EXACT_INT = 2**53  # steps above are also stored as text (a JavaScript number rounds them)


def preview_data(schedules, steps, labels, *, log=False, title=None, marks=True, ylabel="learning rate"):
    """The JSON-able data a page draws (see the module docstring)."""
    per_curve = max(500, min(POINTS, ALL_POINTS // len(schedules)))
    drawn = curves(schedules, steps, labels, points=per_curve)
    if log and not any(np.any(c.values > 0.0) for c in drawn):
        V.fail("plot", "log", "False when no value is > 0 (a log axis shows positive values only)", log)
    chosen = [np.array([0, steps - 1], np.int64)]
    for c in drawn:
        if c.steps.size > per_curve:  # samples past EXACT_LIMIT: decimated as a table is, extremes kept
            i, _ = _decimate(c.values, per_curve)
            chosen.append(c.steps[i])
        else:
            chosen.append(c.steps)
        chosen.append(np.array([m for m, _ in c.marks], np.int64))
    at = np.unique(np.concatenate(chosen))
    series = []
    for k, c in enumerate(drawn):
        v = c.schedule(at)
        series.append({
            "label": c.label,
            "color": COLORS[k % len(COLORS)],
            "values": [float(x) if np.isfinite(x) else None for x in v.tolist()],
            "marks": [[int(m), kind] for m, kind in c.marks] if marks else [],
        })  # fmt: skip
    big = bool(at.size and int(at[-1]) > _EXACT_INT)
    return {
        "steps": [int(s) for s in at.tolist()],
        "stepText": [str(int(s)) for s in at.tolist()] if big else None,
        "total": int(steps),
        "sampled": not drawn[0].exact,
        "log": bool(log),
        "note": log_note(drawn) if log else None,
        "title": title or "",
        "ylabel": ylabel,
        "markKinds": {k: text for k, (text, _) in MARK_KINDS.items()},
        "series": series,
    }


def _json_for_script(data):
    """JSON that cannot end the ``<script>`` element it sits in (``<``, ``>``, ``&`` escaped)."""
    text = json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(data) -> str:
    """The page, as text."""
    title = data["title"] or ", ".join(s["label"] for s in data["series"])
    return _PAGE.replace("@TITLE@", html.escape(title[:200])).replace("@DATA@", _json_for_script(data)).replace(
        "@SCRIPT@", _SCRIPT
    )


def write_html(schedules, steps, path, *, labels, log=False, title=None, marks=True, ylabel="learning rate"):
    """Write the interactive preview of ``schedules`` over steps ``0 .. steps - 1`` to ``path``, atomically
    (arguments as ``lrsched.plot``'s, already checked there)."""
    data = preview_data(schedules, steps, labels, log=log, title=title, marks=marks, ylabel=ylabel)
    text = render(data).encode("utf-8")
    with write_atomically(path) as f:
        f.write(text)


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@TITLE@</title>
<style>
  body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; background: #fff;
         margin: 16px; }
  #lrsched-preview { max-width: 1100px; margin: 0 auto; }
  #lrsched-title { font-size: 17px; font-weight: 600; margin: 0 0 4px; }
  #lrsched-note { font-size: 12px; color: #555; min-height: 0; }
  .lrsched-plot { position: relative; width: 100%; height: 460px; user-select: none; }
  #lrsched-canvas { display: block; width: 100%; height: 100%; cursor: crosshair; }
  #lrsched-tooltip { position: absolute; pointer-events: none; background: rgba(255,255,255,0.96);
                     border: 1px solid #bbb; border-radius: 4px; padding: 5px 8px; font-size: 12px;
                     box-shadow: 0 1px 4px rgba(0,0,0,0.15); white-space: nowrap; z-index: 2; }
  #lrsched-tooltip[hidden] { display: none; }
  .lrsched-tip-step { font-weight: 600; margin-bottom: 2px; }
  .lrsched-tip-mark { color: #555; font-style: italic; }
  .lrsched-swatch { display: inline-block; width: 14px; height: 3px; vertical-align: middle; margin-right: 6px; }
  #lrsched-legend { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 6px 0 0 60px; font-size: 13px; }
  .lrsched-legend-item { display: flex; align-items: center; max-width: 100%; overflow-wrap: anywhere; }
  .lrsched-legend-item canvas { flex: none; margin-right: 6px; }
  .lrsched-help { color: #777; font-size: 12px; margin: 8px 0 0 60px; }
</style>
</head>
<body>
<div id="lrsched-preview">
  <div id="lrsched-title"></div>
  <div id="lrsched-note"></div>
  <div class="lrsched-plot">
    <canvas id="lrsched-canvas"></canvas>
    <div id="lrsched-tooltip" class="lrsched-tooltip" hidden></div>
  </div>
  <div id="lrsched-legend"></div>
  <p class="lrsched-help">Hover for values. Drag across the plot to zoom into those steps, or use the wheel;
  double-click to see every step again.</p>
</div>
<script type="application/json" id="lrsched-data">@DATA@</script>
<script>
@SCRIPT@
</script>
</body>
</html>
"""

# Our own drawing code: no library, nothing fetched.
_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("lrsched-data").textContent);
  var canvas = document.getElementById("lrsched-canvas");
  var tip = document.getElementById("lrsched-tooltip");
  var ctx = canvas.getContext("2d");
  var steps = data.steps, n = steps.length, last = data.total - 1;
  var DASH = {warmup: [6, 3], restart: [1.5, 2.5], phase: [6, 2.5, 1.5, 2.5]};
  var M = {left: 74, right: 18, top: 14, bottom: 46};
  var view = {x0: 0, x1: Math.max(1, last)};
  var hover = null, drag = null;

  // a value as in a config file: 0.05, 1.5, 3e-4 (the rule of lrsched.plotting.value_label)
  function fmt(v, digits) {
    digits = digits || 6;
    if (v === 0) return "0";
    if (v === null || !isFinite(v)) return String(v);
    var a = Math.abs(v), t;
    if (a >= 0.01 && a < 1e5) {
      t = v.toPrecision(digits);
      if (t.indexOf("e") < 0) return t.indexOf(".") >= 0 ? t.replace(/0+$/, "").replace(/\.$/, "") : t;
    }
    t = v.toExponential(digits - 1).split("e");
    var m = t[0].indexOf(".") >= 0 ? t[0].replace(/0+$/, "").replace(/\.$/, "") : t[0];
    return m + "e" + parseInt(t[1], 10);
  }
  function group(text) { return text.replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
  function stepText(i) { return group(data.stepText ? data.stepText[i] : String(steps[i])); }
  function stepTick(x) {
    var units = [[1e18, "E"], [1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
    for (var k = 0; k < units.length; k++) {
      if (Math.abs(x) >= units[k][0]) return +(x / units[k][0]).toPrecision(4) + units[k][1];
    }
    return String(+x.toPrecision(4));
  }
  function niceTicks(lo, hi, count, integer) {
    var span = hi - lo;
    if (!(span > 0)) return [lo];
    var raw = span / count, p = Math.pow(10, Math.floor(Math.log10(raw))), best = p;
    [1, 2, 2.5, 5, 10].some(function (f) { best = f * p; return f * p >= raw; });
    if (integer) best = Math.max(1, Math.round(best));
    var out = [], first = Math.ceil(lo / best - 1e-9) * best;
    for (var t = first; t <= hi + best * 1e-9; t += best) out.push(Math.abs(t) < best * 1e-9 ? 0 : t);
    return out;
  }
  function logTicks(lo, hi) {
    var a = Math.floor(Math.log10(lo)), b = Math.ceil(Math.log10(hi)), subs = (b - a) <= 2 ? [1, 2, 5] : [1];
    var out = [];
    for (var e = a; e <= b; e++) subs.forEach(function (s) {
      var t = s * Math.pow(10, e);
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) out.push(+t.toPrecision(12));
    });
    return out;
  }
  function lowerIndex(x) {  // first i with steps[i] >= x
    var lo = 0, hi = n;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (steps[mid] < x) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function nearestIndex(x) {
    var i = lowerIndex(x);
    if (i >= n) return n - 1;
    if (i > 0 && x - steps[i - 1] <= steps[i] - x) return i - 1;
    return i;
  }
  function good(v) { return v !== null && isFinite(v) && (!data.log || v > 0); }

  var plot = {};
  function layout() {
    var r = canvas.getBoundingClientRect(), dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(r.width * dpr); canvas.height = Math.round(r.height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    plot.w = r.width; plot.h = r.height;
    plot.left = M.left; plot.right = r.width - M.right; plot.top = M.top; plot.bottom = r.height - M.bottom;
  }
  function yRange() {
    var i0 = Math.max(0, lowerIndex(view.x0) - 1), i1 = Math.min(n - 1, lowerIndex(view.x1));
    var lo = Infinity, hi = -Infinity;
    data.series.forEach(function (s) {
      for (var i = i0; i <= i1; i++) { var v = s.values[i]; if (good(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } }
    });
    if (!isFinite(lo)) { lo = data.log ? 1e-3 : 0; hi = 1; }
    if (data.log) {
      if (hi <= lo) { lo /= 2; hi *= 2; }
      var pad = Math.pow(hi / lo, 0.05);
      return [lo / pad, hi * pad];
    }
    if (hi <= lo) { var d = Math.abs(hi) > 0 ? Math.abs(hi) * 0.1 : 1; lo -= d; hi += d; }
    var top = hi + (hi - lo) * 0.06;
    if (lo >= 0 && lo <= (hi - lo) * 0.5) return [-0.02 * top, top];  // from 0: an end of 0.05 is told from 0
    return [lo - (hi - lo) * 0.06, top];
  }
  function X(step) { return plot.left + (step - view.x0) / (view.x1 - view.x0) * (plot.right - plot.left); }
  function Y(v) {
    var f = data.log ? (Math.log(v) - Math.log(plot.y0)) / (Math.log(plot.y1) - Math.log(plot.y0))
                     : (v - plot.y0) / (plot.y1 - plot.y0);
    return plot.bottom - f * (plot.bottom - plot.top);
  }
  function stepAt(px) { return view.x0 + (px - plot.left) / (plot.right - plot.left) * (view.x1 - view.x0); }

  function draw() {
    var yr = yRange(); plot.y0 = yr[0]; plot.y1 = yr[1];
    var d = canvas.dataset;
    d.x0 = view.x0; d.x1 = view.x1; d.y0 = plot.y0; d.y1 = plot.y1;
    d.left = plot.left; d.right = plot.right; d.top = plot.top; d.bottom = plot.bottom;
    ctx.clearRect(0, 0, plot.w, plot.h);
    ctx.font = "12px system-ui, sans-serif";
    // grid, ticks and labels
    var xt = niceTicks(view.x0, view.x1, Math.max(3, Math.floor((plot.right - plot.left) / 110)), true);
    var yt = data.log ? logTicks(plot.y0, plot.y1) : niceTicks(plot.y0, plot.y1, 6, false);
    ctx.strokeStyle = "#e6e6e6"; ctx.lineWidth = 1; ctx.fillStyle = "#333";
    ctx.textAlign = "center"; ctx.textBaseline = "top";
    xt.forEach(function (t) {
      var x = Math.round(X(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, plot.top); ctx.lineTo(x, plot.bottom); ctx.stroke();
      ctx.fillText(stepTick(t), x, plot.bottom + 6);
    });
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    yt.forEach(function (t) {
      var y = Math.round(Y(t)) + 0.5;
      if (y < plot.top - 1 || y > plot.bottom + 1) return;
      ctx.beginPath(); ctx.moveTo(plot.left, y); ctx.lineTo(plot.right, y); ctx.stroke();
      ctx.fillText(fmt(t, 4), plot.left - 6, y);
    });
    ctx.strokeStyle = "#888";
    ctx.strokeRect(plot.left + 0.5, plot.top + 0.5, plot.right - plot.left, plot.bottom - plot.top);
    ctx.textAlign = "center"; ctx.textBaseline = "bottom"; ctx.fillStyle = "#222"; ctx.font = "13px system-ui, sans-serif";
    ctx.fillText("step", (plot.left + plot.right) / 2, plot.h - 4);
    ctx.save(); ctx.translate(14, (plot.top + plot.bottom) / 2); ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle"; ctx.fillText(data.ylabel, 0, 0); ctx.restore();

    ctx.save();
    ctx.beginPath(); ctx.rect(plot.left, plot.top, plot.right - plot.left, plot.bottom - plot.top); ctx.clip();
    // phase marks, in their curve's colour
    data.series.forEach(function (s) {
      ctx.strokeStyle = s.color; ctx.globalAlpha = 0.7; ctx.lineWidth = 1;
      s.marks.forEach(function (m) {
        if (m[0] < view.x0 || m[0] > view.x1) return;
        var x = Math.round(X(m[0])) + 0.5;
        ctx.setLineDash(DASH[m[1]] || [2, 2]);
        ctx.beginPath(); ctx.moveTo(x, plot.top); ctx.lineTo(x, plot.bottom); ctx.stroke();
      });
    });
    ctx.setLineDash([]); ctx.globalAlpha = 1;
    // the curves
    var i0 = Math.max(0, lowerIndex(view.x0) - 1), i1 = Math.min(n - 1, lowerIndex(view.x1) + 1);
    data.series.forEach(function (s) {
      ctx.strokeStyle = s.color; ctx.lineWidth = 2; ctx.lineJoin = "round";
      ctx.beginPath();
      var pen = false;
      for (var i = i0; i <= i1; i++) {
        var v = s.values[i];
        if (!good(v)) { pen = false; continue; }
        var x = X(steps[i]), y = Y(v);
        if (pen) ctx.lineTo(x, y); else { ctx.moveTo(x, y); pen = true; }
      }
      if (i0 === i1 && pen) ctx.lineTo(X(steps[i0]) + 1, Y(s.values[i0]));
      ctx.stroke();
    });
    // the hovered step, and a selection being dragged
    if (hover !== null && !drag) {
      var hx = X(steps[hover]);
      ctx.strokeStyle = "rgba(0,0,0,0.35)"; ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(hx, plot.top); ctx.lineTo(hx, plot.bottom); ctx.stroke();
      data.series.forEach(function (s) {
        var v = s.values[hover];
        if (!good(v)) return;
        ctx.fillStyle = s.color; ctx.beginPath(); ctx.arc(hx, Y(v), 3.5, 0, 2 * Math.PI); ctx.fill();
      });
    }
    if (drag && Math.abs(drag.b - drag.a) > 0) {
      ctx.fillStyle = "rgba(30,100,200,0.12)"; ctx.strokeStyle = "rgba(30,100,200,0.6)";
      var a = Math.min(drag.a, drag.b), w = Math.abs(drag.b - drag.a);
      ctx.fillRect(a, plot.top, w, plot.bottom - plot.top); ctx.strokeRect(a + 0.5, plot.top + 0.5, w, plot.bottom - plot.top);
    }
    ctx.restore();
  }

  function showTip(px, py) {
    var x = stepAt(px);
    hover = nearestIndex(Math.min(Math.max(x, view.x0), view.x1));
    var s = steps[hover];
    tip.textContent = "";
    var head = document.createElement("div");
    head.className = "lrsched-tip-step"; head.textContent = "step " + stepText(hover);
    head.setAttribute("data-step", data.stepText ? data.stepText[hover] : String(s));
    tip.appendChild(head);
    data.series.forEach(function (series, k) {
      var row = document.createElement("div");
      row.className = "lrsched-tip-row"; row.setAttribute("data-series", k);
      var sw = document.createElement("span"); sw.className = "lrsched-swatch"; sw.style.background = series.color;
      var label = document.createElement("span"); label.className = "lrsched-tip-label";
      label.textContent = (series.label.length > 48 ? series.label.slice(0, 45) + "..." : series.label) + ": ";
      var value = document.createElement("span"); value.className = "lrsched-tip-value";
      value.textContent = fmt(series.values[hover]);
      row.appendChild(sw); row.appendChild(label); row.appendChild(value);
      series.marks.forEach(function (m) {
        if (m[0] === s) {
          var note = document.createElement("span"); note.className = "lrsched-tip-mark";
          note.textContent = " (" + data.markKinds[m[1]] + ")"; row.appendChild(note);
        }
      });
      tip.appendChild(row);
    });
    tip.hidden = false;
    var left = px + 14, top = Math.max(plot.top, py - 10);
    if (left + tip.offsetWidth > plot.w - 4) left = Math.max(0, px - 14 - tip.offsetWidth);
    if (top + tip.offsetHeight > plot.h) top = Math.max(0, plot.h - tip.offsetHeight);
    tip.style.left = left + "px"; tip.style.top = top + "px";
  }
  function hideTip() { hover = null; tip.hidden = true; }
  function local(e) { var r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; }
  function inside(p) { return p[0] >= plot.left && p[0] <= plot.right && p[1] >= plot.top && p[1] <= plot.bottom; }
  function setView(a, b) {
    var full = Math.max(1, last), minWidth = Math.min(full, 4);
    a = Math.max(0, a); b = Math.min(full, b);
    if (b - a < minWidth) { var c = (a + b) / 2; a = Math.max(0, c - minWidth / 2); b = Math.min(full, a + minWidth); a = b - minWidth; }
    view.x0 = a; view.x1 = b;
  }

  canvas.addEventListener("mousedown", function (e) {
    var p = local(e);
    if (e.button !== 0 || !inside(p)) return;
    drag = {a: p[0], b: p[0]}; hideTip(); e.preventDefault();
  });
  canvas.addEventListener("mousemove", function (e) {
    var p = local(e);
    if (drag) { drag.b = Math.min(Math.max(p[0], plot.left), plot.right); draw(); return; }
    if (inside(p)) showTip(p[0], p[1]); else hideTip();
    draw();
  });
  window.addEventListener("mouseup", function (e) {
    if (!drag) return;
    var a = Math.min(drag.a, drag.b), b = Math.max(drag.a, drag.b);
    drag = null;
    if (b - a >= 4) setView(stepAt(a), stepAt(b));
    var p = local(e);
    if (inside(p)) showTip(p[0], p[1]);
    draw();
  });
  canvas.addEventListener("mouseleave", function () { if (!drag) { hideTip(); draw(); } });
  canvas.addEventListener("dblclick", function (e) {
    view.x0 = 0; view.x1 = Math.max(1, last);
    var p = local(e);
    if (inside(p)) showTip(p[0], p[1]);
    draw();
  });
  canvas.addEventListener("wheel", function (e) {
    var p = local(e);
    if (!inside(p)) return;
    e.preventDefault();
    var at = stepAt(p[0]), f = e.deltaY > 0 ? 1.25 : 0.8;
    setView(at - (at - view.x0) * f, at + (view.x1 - at) * f);
    showTip(p[0], p[1]);
    draw();
  }, {passive: false});
  window.addEventListener("resize", function () { layout(); draw(); });

  // title, note, legend
  document.getElementById("lrsched-title").textContent = data.title;
  document.getElementById("lrsched-note").textContent = data.note || (data.sampled ?
    "drawn from a sample of the steps: every phase boundary and restart exact" : "");
  var legend = document.getElementById("lrsched-legend");
  function swatch(color, dash) {
    var c = document.createElement("canvas"), dpr = window.devicePixelRatio || 1;
    c.width = 28 * dpr; c.height = 10 * dpr; c.style.width = "28px"; c.style.height = "10px";
    var g = c.getContext("2d"); g.scale(dpr, dpr); g.strokeStyle = color; g.lineWidth = dash ? 1.2 : 2.5;
    if (dash) g.setLineDash(dash);
    g.beginPath(); g.moveTo(1, 5); g.lineTo(27, 5); g.stroke();
    return c;
  }
  function item(sw, text, cls) {
    var el = document.createElement("div"); el.className = "lrsched-legend-item " + cls;
    var t = document.createElement("span"); t.textContent = text; el.appendChild(sw); el.appendChild(t);
    legend.appendChild(el);
  }
  data.series.forEach(function (s) { item(swatch(s.color, null), s.label, "lrsched-legend-series"); });
  Object.keys(data.markKinds).forEach(function (k) {
    var used = data.series.some(function (s) { return s.marks.some(function (m) { return m[1] === k; }); });
    if (used) item(swatch("#555", DASH[k]), data.markKinds[k], "lrsched-legend-mark");
  });

  window.lrschedPreview = {data: data, fmt: fmt, view: view, stepAt: stepAt};
  layout(); draw();
  canvas.setAttribute("data-ready", "1");
})();
"""
