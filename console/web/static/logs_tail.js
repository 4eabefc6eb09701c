// The logs page's live tail: every two seconds, the lines since the newest one shown (less a margin for
// lines the shipper delivers late), each added once (rows carry their document id) in time order.
(function () {
  const box = document.getElementById("live-tail");
  const body = document.querySelector("table.lines tbody");
  if (!box || !body) return;
  const status = document.getElementById("tail-status");
  const LATE_MS = 10000, EVERY_MS = 2000, KEEP = 1000;
  let timer = null, added = 0;

  const time = (row) => Date.parse(row.dataset.ts);
  const newest = () => Math.max(Date.now() - 60000, ...[...body.rows].map(time).filter((t) => !isNaN(t)));

  function place(row) {
    const after = [...body.rows].find((r) => time(r) <= time(row));
    body.insertBefore(row, after || null);
  }

  async function poll() {
    const since = new Date(newest() - LATE_MS).toISOString();
    try {
      const answer = await fetch(`${box.dataset.url}&since=${encodeURIComponent(since)}`, { credentials: "same-origin" });
      const parsed = document.createElement("template");
      parsed.innerHTML = await answer.text();
      const rows = [...parsed.content.querySelectorAll("tr")];
      const problem = rows.find((r) => r.classList.contains("tail-error"));
      const fresh = rows.filter((r) => r.id && !document.getElementById(r.id));
      fresh.reverse().forEach(place);
      added += fresh.length;
      while (body.rows.length > KEEP) body.deleteRow(-1);
      status.textContent = problem ? problem.textContent : answer.ok ? `live: ${added} new line(s)` : `tail failed: HTTP ${answer.status}`;
      status.classList.toggle("down", Boolean(problem) || !answer.ok);
    } catch (e) {
      status.textContent = `tail failed: ${e}`;
      status.classList.add("down");
    }
  }

  box.addEventListener("change", () => {
    clearInterval(timer);
    timer = box.checked ? setInterval(poll, EVERY_MS) : null;
    status.textContent = box.checked ? "live" : "";
    if (box.checked) poll();
  });
})();
