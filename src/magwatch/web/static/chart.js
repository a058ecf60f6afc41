/* magwatch dashboard charts: a monthly series with event markers, and a scenario fan chart.
   Data comes from <script type="application/json"> blocks rendered by the server; gaps (null)
   stay gaps. Drawn with the vendored uPlot (static/vendor). */
(function () {
  "use strict";

  function monthSeconds(label) {            // "YYYY-MM" -> seconds at the first of the month, UTC
    var p = label.split("-");
    return Date.UTC(+p[0], +p[1] - 1, 1) / 1000;
  }

  function daySeconds(iso) {                // "YYYY-MM-DD" -> seconds, UTC
    var p = iso.split("-");
    return Date.UTC(+p[0], +p[1] - 1, +p[2]) / 1000;
  }

  function readData(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function widthOf(el) {
    return Math.max(260, Math.min(el.clientWidth || 800, 1100));
  }

  function fmtTonnes(u, v) {
    return v == null ? "no data" : Math.round(v).toLocaleString("en") + " t";
  }

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  // darkened Okabe-Ito hues, each at least 4.5:1 on white, every pair apart under simulated
  // protanopia, deuteranopia and tritanopia (tests/web/test_chart_colours.py)
  var COLOURS = ["#0b4f8a", "#b35900", "#007a5e", "#cc22bb", "#5b4a00"];

  function monthLabel(seconds) {             // seconds -> "Jun 2025"
    var d = new Date(seconds * 1000);
    return MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
  }

  function latest(values) {
    for (var i = values.length - 1; i >= 0; i -= 1) { if (values[i] != null) { return i; } }
    return -1;
  }

  function legendValue(values, xs) {         // the value under the cursor, else the latest one
    return function (u, v, si, idx) {
      if (idx == null) {
        var k = latest(values);
        return k < 0 ? "no data" : fmtTonnes(u, values[k]) + " (" + monthLabel(xs[k]) + ")";
      }
      return fmtTonnes(u, v);
    };
  }

  function placeLabels(xs, width, rowHeight) {   // rows so that no two labels overlap
    var ends = [], boxes = [];
    xs.forEach(function (x) {
      var row = 0;
      while (ends[row] != null && ends[row] > x - 2) { row += 1; }
      ends[row] = x + width;
      boxes.push({ x: x, y: row * rowHeight, w: width, h: rowHeight, row: row });
    });
    return boxes;
  }

  function markerPlugin(events, target) {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx, min = u.scales.x.min, max = u.scales.x.max, dpr = devicePixelRatio;
          var shown = events.filter(function (e) { var x = daySeconds(e.date); return x >= min && x <= max; });
          var xs = shown.map(function (e) { return Math.round(u.valToPos(daySeconds(e.date), "x", true)); });
          ctx.save();
          ctx.font = (11 * dpr) + "px sans-serif";
          ctx.textAlign = "left";                 // uPlot leaves its axis alignment behind
          ctx.textBaseline = "alphabetic";
          var width = Math.ceil(ctx.measureText(String(events.length)).width) + 6 * dpr;
          var boxes = placeLabels(xs, width + 1 * dpr, 15 * dpr);
          var cssBoxes = [];
          function colour(e) { return e.type === "export_control" ? "#b22222" : "#555"; }
          ctx.setLineDash([5, 4]);
          ctx.lineWidth = 1.5 * dpr;
          shown.forEach(function (e, i) {          // the lines first, so no line crosses a label
            ctx.strokeStyle = colour(e);
            ctx.beginPath();
            ctx.moveTo(xs[i], u.bbox.top);
            ctx.lineTo(xs[i], u.bbox.top + u.bbox.height);
            ctx.stroke();
          });
          ctx.setLineDash([]);
          shown.forEach(function (e, i) {
            var cx = xs[i], b = boxes[i];
            ctx.fillStyle = "#fff";
            ctx.fillRect(cx, u.bbox.top + b.y, b.w, b.h);
            ctx.strokeStyle = colour(e);
            ctx.lineWidth = 1 * dpr;
            ctx.strokeRect(cx, u.bbox.top + b.y, b.w, b.h);
            ctx.fillStyle = colour(e);
            ctx.fillText(String(e.n), cx + 3 * dpr, u.bbox.top + b.y + 11 * dpr);
            cssBoxes.push({ n: e.n, x: cx / dpr, y: (u.bbox.top + b.y) / dpr, w: b.w / dpr, h: b.h / dpr });
          });
          ctx.restore();
          target.setAttribute("data-events-drawn", String(shown.length));
          target.setAttribute("data-label-boxes", JSON.stringify(cssBoxes));
        }]
      }
    };
  }

  function lineSeries(label, values, xs, k, dashed) {
    return { label: label, stroke: COLOURS[k % COLOURS.length], width: k === 0 ? 2.5 : 1.75,
             dash: dashed ? [6, 4] : undefined, spanGaps: false,
             points: { show: true, size: k === 0 ? 6 : 4 }, value: legendValue(values, xs) };
  }

  function seriesChart() {
    var data = readData("chart-data"), el = document.getElementById("chart");
    if (!data || !el) { return; }
    var xs = data.periods.map(monthSeconds);
    var lines = data.lines || [{ label: "net weight", values: data.tonnes }];
    var opts = {
      width: widthOf(el), height: 320,
      scales: { x: { time: true } },
      series: [{ label: "Month", value: function (u, v) { return v == null ? "latest figure" : monthLabel(v); } }],
      axes: [{ space: 80, values: function (u, vals) { return vals.map(monthLabel); } },
             { size: 60, values: function (u, vals) { return vals.map(function (v) { return v.toLocaleString("en"); }); } }],
      plugins: [markerPlugin(data.events, el)]
    };
    var columns = [xs];
    lines.forEach(function (l, k) { opts.series.push(lineSeries(l.label, l.values, xs, k, false)); columns.push(l.values); });
    if (data.mirror) {                       // the partner's own import figures, where held
      opts.series.push(lineSeries(data.mirror_label, data.mirror, xs, lines.length, true));
      columns.push(data.mirror);
      el.setAttribute("data-mirror-points",
                      String(data.mirror.filter(function (v) { return v != null; }).length));
    }
    var plot = new uPlot(opts, columns, el);
    el.setAttribute("data-points", String(lines[0].values.filter(function (v) { return v != null; }).length));
    window.addEventListener("resize", function () { plot.setSize({ width: widthOf(el), height: 320 }); });
  }

  function fanChart() {
    var data = readData("fan-data"), el = document.getElementById("fan");
    if (!data || !el) { return; }
    var xs = data.months.map(monthSeconds);
    var opts = {
      width: widthOf(el), height: 320,
      padding: [12, 32, 0, 0],              // room for the last month's label at the right edge
      scales: { x: { time: true } },
      axes: [{ space: 80, values: function (u, vals) { return vals.map(monthLabel); } }, { size: 60 }],
      series: [
        { label: "Month", value: function (u, v) { return v == null ? "last month simulated" : monthLabel(v); } },
        { label: "P10", stroke: "#3a7bb0", width: 1, value: legendValue(data.p10, xs) },
        { label: "P50", stroke: "#08306b", width: 2, value: legendValue(data.p50, xs) },
        { label: "P90", stroke: "#3a7bb0", width: 1, value: legendValue(data.p90, xs) }
      ],
      bands: [{ series: [3, 1], fill: "rgba(107, 174, 214, 0.35)" }]
    };
    var plot = new uPlot(opts, [xs, data.p10, data.p50, data.p90], el);
    el.setAttribute("data-drawn", String(xs.length));
    window.addEventListener("resize", function () { plot.setSize({ width: widthOf(el), height: 320 }); });
  }

  // the overview's picker leaves an unchosen focus out of the address (/?month=2025-06, not
  // /?month=2025-06&focus=); without scripts the form sends it empty, which reads the same
  function cleanPicker() {
    var form = document.querySelector("form.picker");
    if (!form) { return; }
    form.addEventListener("submit", function () {
      form.querySelectorAll("select").forEach(function (s) { if (!s.value) { s.disabled = true; } });
    });
  }

  seriesChart();
  fanChart();
  cleanPicker();
}());
