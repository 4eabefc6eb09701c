// The backtest's chart, drawn whenever htmx swaps a backtest result in: the expression's series on the evaluation
// grid, the threshold dashed, and behind them the would-be alerts' pending (light) and firing (red) spans.
(function () {
  const palette = ["--accent", "--up", "--warn", "#7a3fb0", "#0f7c8c", "#b0428a", "--muted", "#a05a2c"]
    .map((c) => c.startsWith("--") ? uPlot.ink(c) : c);

  function spans(data) {
    return { hooks: { drawClear: [(u) => {
      const ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
      ctx.save();
      for (const [kind, fill] of [["pending", "rgba(240,180,40,.14)"], ["firing", "rgba(180,35,24,.16)"]]) {
        ctx.fillStyle = fill;
        for (const [from, to] of data[kind]) {
          const left = u.valToPos(from, "x", true), right = u.valToPos(to, "x", true);
          ctx.fillRect(left, top, Math.max(right - left, devicePixelRatio), height);
        }
      }
      ctx.restore();
    }] } };
  }

  function draw(el, data) {
    const series = [{}, ...data.series.map((s, i) => ({ label: s.label, stroke: palette[i % palette.length], width: 1.5,
      points: { show: false } }))];
    const columns = [data.x, ...data.series.map((s) => s.values)];
    if (data.threshold !== null) {
      series.push({ label: "threshold", stroke: uPlot.ink("--down"), width: 1, dash: [6, 4], points: { show: false } });
      columns.push(data.x.map(() => data.threshold));
    }
    const width = () => Math.max(300, el.clientWidth - 10);
    const plot = new uPlot(uPlot.utc({ width: width(), height: 260, plugins: [spans(data)], scales: { x: { time: true } },
      series }),
      columns, el);
    window.addEventListener("resize", () => plot.setSize({ width: width(), height: 260 }));
  }

  htmx.onLoad((root) => {
    const found = root.matches && root.matches("[data-chart=backtest]") ? [root] : root.querySelectorAll("[data-chart=backtest]");
    for (const el of found) {
      if (el.dataset.drawn) continue;
      el.dataset.drawn = "1";
      draw(el, JSON.parse(el.nextElementSibling.textContent));
    }
  });
})();
