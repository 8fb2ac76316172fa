// Draw every <div class="chart" data-plot='{"title": ..., "lines": ...}'> with Plotly.
// `lines` is a list of {x, y, name} or an object name -> {x, y}.
(function () {
  if (typeof Plotly === "undefined") return;
  document.querySelectorAll(".chart[data-plot]").forEach(function (el) {
    var spec = JSON.parse(el.getAttribute("data-plot"));
    var lines = Array.isArray(spec.lines)
      ? spec.lines
      : Object.keys(spec.lines).map(function (k) { return Object.assign({ name: k }, spec.lines[k]); });
    var traces = lines.map(function (l) {
      var trace = { x: l.x, y: l.y, name: l.name, type: "scatter", mode: "lines+markers" };
      if (l.color) { trace.line = { color: l.color }; trace.marker = { color: l.color }; }
      if (l.dash) { trace.mode = "lines"; trace.line = Object.assign(trace.line || {}, { dash: l.dash }); }
      return trace;
    });
    Plotly.newPlot(el, traces, {
      title: { text: spec.title, font: { size: 14 } },
      margin: { t: 40, r: 10, b: 50, l: 60 },
      height: 300,
      legend: { orientation: "h" },
      showlegend: true,
      xaxis: { title: { text: spec.xlabel || "" } },
      yaxis: { title: { text: spec.ylabel || "" } }
    }, { displaylogo: false, responsive: true });
  });
})();
