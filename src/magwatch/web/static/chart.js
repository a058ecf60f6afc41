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
    return Math.max(280, Math.min(el.clientWidth || 800, 1100));
  }

  function fmtTonnes(u, v) { return v == null ? "no data" : v.toLocaleString("en") + " t"; }

  function markerPlugin(events, target) {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx, drawn = 0, min = u.scales.x.min, max = u.scales.x.max;
          ctx.save();
          ctx.setLineDash([5, 4]);
          ctx.lineWidth = 1.5 * devicePixelRatio;
          ctx.font = (11 * devicePixelRatio) + "px sans-serif";
          events.forEach(function (e, i) {
            var x = daySeconds(e.date);
            if (x < min || x > max) { return; }
            var cx = Math.round(u.valToPos(x, "x", true));
            ctx.strokeStyle = e.type === "export_control" ? "#b22222" : "#555";
            ctx.beginPath();
            ctx.moveTo(cx, u.bbox.top);
            ctx.lineTo(cx, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.fillStyle = ctx.strokeStyle;
            ctx.fillText(String(i + 1), cx + 3 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio);
            drawn += 1;
          });
          ctx.restore();
          target.setAttribute("data-events-drawn", String(drawn));
        }]
      }
    };
  }

  function seriesChart() {
    var data = readData("chart-data"), el = document.getElementById("chart");
    if (!data || !el) { return; }
    var xs = data.periods.map(monthSeconds);
    var opts = {
      width: widthOf(el), height: 320, title: data.title,
      scales: { x: { time: true } },
      series: [
        {},
        { label: "net weight", stroke: "#08519c", width: 2, spanGaps: false,
          points: { show: true, size: 6 }, value: fmtTonnes }
      ],
      axes: [{}, { values: function (u, vals) { return vals.map(function (v) { return v.toLocaleString("en"); }); } }],
      plugins: [markerPlugin(data.events, el)]
    };
    var columns = [xs, data.tonnes];
    if (data.mirror) {                       // the partner's own import figures, where held
      opts.series.push({ label: data.mirror_label, stroke: "#e6550d", width: 2, dash: [6, 4],
                         spanGaps: false, points: { show: true, size: 5 }, value: fmtTonnes });
      columns.push(data.mirror);
      el.setAttribute("data-mirror-points",
                      String(data.mirror.filter(function (v) { return v != null; }).length));
    }
    var plot = new uPlot(opts, columns, el);
    el.setAttribute("data-points", String(data.tonnes.filter(function (v) { return v != null; }).length));
    window.addEventListener("resize", function () { plot.setSize({ width: widthOf(el), height: 320 }); });
  }

  function fanChart() {
    var data = readData("fan-data"), el = document.getElementById("fan");
    if (!data || !el) { return; }
    var xs = data.months.map(monthSeconds);
    var opts = {
      width: widthOf(el), height: 320, title: data.title,
      scales: { x: { time: true } },
      series: [
        {},
        { label: "P10", stroke: "#6baed6", width: 1, value: fmtTonnes },
        { label: "P50", stroke: "#08306b", width: 2, value: fmtTonnes },
        { label: "P90", stroke: "#6baed6", width: 1, value: fmtTonnes }
      ],
      bands: [{ series: [3, 1], fill: "rgba(107, 174, 214, 0.35)" }]
    };
    var plot = new uPlot(opts, [xs, data.p10, data.p50, data.p90], el);
    el.setAttribute("data-drawn", String(xs.length));
    window.addEventListener("resize", function () { plot.setSize({ width: widthOf(el), height: 320 }); });
  }

  seriesChart();
  fanChart();
}());
