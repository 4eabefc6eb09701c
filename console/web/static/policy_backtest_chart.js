// The backtest page's chart: each replayed policy's replicas (step lines, left axis), the load and the
// forecast load (right axis), so where one policy ran short of replicas and the other did not shows at a glance.
(function () {
  const data = JSON.parse(document.getElementById("backtest-data").textContent);
  const el = document.getElementById("backtest-chart");
  const palette = [uPlot.ink("--fg"), uPlot.ink("--up"), "#8a3ffc"];
  const width = () => Math.max(300, el.clientWidth - 10);
  const series = [{}];
  const columns = [data.x];
  data.runs.forEach((run, i) => {
    series.push({ label: run.name + " replicas", scale: "replicas", stroke: palette[i % palette.length], width: 2,
      points: { show: false }, paths: uPlot.paths.stepped({ align: 1 }) });
    columns.push(run.replicas);
  });
  series.push({ label: data.load_label, scale: "load", stroke: uPlot.ink("--accent"), fill: "rgba(47,91,211,.08)", width: 1.2,
    spanGaps: false, points: { show: false } });
  columns.push(data.load);
  if (data.forecast_load) {
    series.push({ label: "forecast", scale: "load", stroke: "#d9822b", width: 1.5, dash: [6, 4], points: { show: false } });
    columns.push(data.forecast_load);
  }
  const plot = new uPlot(uPlot.utc({
    width: width(), height: 340,
    scales: { x: { time: true }, replicas: { range: (u, min, max) => [0, Math.max(1, max || 0) + 1] },
      load: { range: (u, min, max) => [0, (max || 1) * 1.1] } },
    axes: [{}, { scale: "replicas", label: "replicas", incrs: [1, 2, 5, 10, 20, 50] },
      { scale: "load", side: 1, label: data.load_label, grid: { show: false } }],
    series: series,
  }), columns, el);
  window.addEventListener("resize", () => plot.setSize({ width: width(), height: 340 }));
})();
