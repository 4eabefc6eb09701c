// The service page's charts: rate and errors, latency quantiles with exemplar dots (a click opens the trace).
// Exemplars share the time axis, so the lines have null points between samples: span those gaps.
(function () {
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const traceUrl = document.currentScript.dataset.traceUrl;
  const width = () => Math.max(300, document.getElementById("chart-rate").clientWidth - 10);
  const line = (label, stroke) => ({ label, stroke, width: 1.5, spanGaps: true });
  // the chosen time range, not just the span of the samples (a young service has few)
  const scales = { x: { time: true, range: () => data.range } };

  new uPlot(uPlot.utc({ title: "requests/s and errors/s", width: width(), height: 220, scales,
    series: [{}, line("requests/s", uPlot.ink("--accent")), line("errors/s", uPlot.ink("--down"))] }),
    [data.x, data.rate, data.errors], document.getElementById("chart-rate"));

  const latency = new uPlot(uPlot.utc({ title: "latency (ms)", width: width(), height: 220, scales,
    series: [{}, line("p50", uPlot.ink("--bar")), line("p95", uPlot.ink("--accent")), line("p99", uPlot.ink("--fg")),
      { label: "exemplars", stroke: uPlot.ink("--down"), fill: uPlot.ink("--down"), paths: () => null,
        points: { show: true, size: 9 } }] }),
    [data.x, data.p50, data.p95, data.p99, data.exemplars], document.getElementById("chart-latency"));

  latency.over.addEventListener("click", (e) => {
    // open the trace of the dot nearest the click (within a few pixels), in both directions:
    // exemplars close in time sit apart in latency
    const box = latency.over.getBoundingClientRect();
    const x = e.clientX - box.left, y = e.clientY - box.top;
    let nearest = null, best = 8 * 8;
    data.trace_ids.forEach((id, i) => {
      if (!id) return;
      const dx = latency.valToPos(data.x[i], "x") - x, dy = latency.valToPos(data.exemplars[i], "y") - y;
      if (dx * dx + dy * dy <= best) { best = dx * dx + dy * dy; nearest = id; }
    });
    if (nearest) window.location = traceUrl.replace("TRACE", nearest) + window.location.search;
  });
  latency.over.style.cursor = "pointer";
  // the instances, for scripts (and browser tests) that need a point's position on the canvas
  window.opsCharts = { latency };
})();
