// Charts read time as the rest of the console does (tables, the range picker): UTC, 24-hour, ISO dates,
// whatever the browser's time zone, and take their axes' colours from the stylesheet (light or dark).
// uPlot.utc(options) fills in what a chart needs for both.
(function () {
  // uPlot's axis table: the tick increment in seconds, its format, then what is appended where a year, month,
  // day, hour, minute or second rolls over (null: nothing), and 1 to append rather than replace. Labels stay
  // short (the year is in the range picker): ticks of seconds read ":15", the minute below where it turns
  const values = [
    [3600 * 24 * 365, "{YYYY}", null, null, null, null, null, null, 1],
    [3600 * 24 * 28, "{YYYY}-{MM}", null, null, null, null, null, null, 1],
    [3600 * 24, "{MM}-{DD}", "\n{YYYY}", null, null, null, null, null, 1],
    [60, "{HH}:{mm}", "\n{MM}-{DD}", null, "\n{MM}-{DD}", null, null, null, 1],
    [1, ":{ss}", "\n{MM}-{DD} {HH}:{mm}", null, "\n{MM}-{DD} {HH}:{mm}", null, "\n{HH}:{mm}", null, 1],
  ];
  // a colour of the console's stylesheet (light or dark, as the browser asks), for what a canvas draws
  uPlot.ink = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  uPlot.utc = (options) => {
    const given = options.axes || [{}];
    const axes = given.length > 1 ? given : [given[0], {}];
    const series = options.series || [{}];
    const line = { stroke: uPlot.ink("--line") };
    const themed = (axis) => ({ stroke: uPlot.ink("--muted"), ...axis, grid: { ...line, ...axis.grid },
      ticks: { ...line, ...axis.ticks } });
    return {
      ...options,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
      axes: [themed({ values, ...axes[0] }), ...axes.slice(1).map(themed)],
      series: [{ label: "UTC", value: "{YYYY}-{MM}-{DD} {HH}:{mm}:{ss}", ...series[0] }, ...series.slice(1)],
    };
  };
})();
