// The target page's chart: replicas (a step line, left axis) and load with the capacity its target allows
// (right axis), every scale event a vertical line labelled from -> to; dry runs and failures dashed.
(function () {
  const data = JSON.parse(document.getElementById("scaling-data").textContent);
  const el = document.getElementById("scaling-chart");
  const colors = { applied: uPlot.ink("--up"), failed: uPlot.ink("--down"), dry_run: "#8a94a6", unchanged: "#8a94a6" };

  // drawn after the series so the labels stay readable over the lines
  const marks = { hooks: { draw: [(u) => {
    const ctx = u.ctx;
    const top = u.bbox.top, bottom = u.bbox.top + u.bbox.height;
    ctx.save();
    ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
    ctx.textAlign = "center";
    data.marks.forEach((m, i) => {
      const x = Math.round(u.valToPos(m.t, "x", true));
      if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
      ctx.strokeStyle = ctx.fillStyle = colors[m.kind] || "#8a94a6";
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.setLineDash(m.kind === "applied" ? [] : [4 * devicePixelRatio, 3 * devicePixelRatio]);
      ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, bottom); ctx.stroke();
      // alternate label rows so events close together do not print over each other
      ctx.fillText(m.label, x, top + (10 + (i % 2) * 13) * devicePixelRatio);
    });
    ctx.restore();
  }] } };

  const width = () => Math.max(300, el.clientWidth - 10);
  const plot = new uPlot(uPlot.utc({
    width: width(), height: 320, plugins: [marks],
    scales: { x: { time: true, range: () => data.range },
      replicas: { range: (u, min, max) => [0, Math.max(1, max || 0) + 1] },
      load: { range: (u, min, max) => [0, (max || 1) * 1.1] } },
    // replica counts are whole numbers: no ticks between them
    axes: [{}, { scale: "replicas", label: "replicas", grid: { show: true }, incrs: [1, 2, 5, 10, 20, 50] },
      { scale: "load", side: 1, label: data.load_label, grid: { show: false } }],
    series: [{},
      { label: "replicas", scale: "replicas", stroke: uPlot.ink("--fg"), width: 2.5, spanGaps: true, points: { show: false },
        paths: uPlot.paths.stepped({ align: 1 }), value: (u, v) => v == null ? "–" : v },
      { label: data.load_label, scale: "load", stroke: uPlot.ink("--accent"), fill: "rgba(47,91,211,.08)", width: 1.5,
        spanGaps: true, points: { show: false } },
      { label: data.capacity_label, scale: "load", stroke: uPlot.ink("--bar"), width: 1, dash: [6, 4], spanGaps: true,
        points: { show: false }, paths: uPlot.paths.stepped({ align: 1 }) }],
  }), [data.x, data.replicas, data.load, data.capacity], el);
  window.addEventListener("resize", () => plot.setSize({ width: width(), height: 320 }));
})();
