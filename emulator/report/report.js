// Renders window.REPORT: the workflow graph (Viz.js, Graphviz in WebAssembly), the run's
// traces on its own time axis, and the facts of the run. No network: all is in the page.
(function () {
  const report = window.REPORT;
  const byId = (id) => document.getElementById(id);
  const element = (tag, className, text) => {
    const made = document.createElement(tag);
    if (className) made.className = className;
    if (text !== undefined) made.textContent = text;
    return made;
  };
  document.title = report.title;
  byId("title").textContent = report.title;
  byId("summary").textContent = report.summary;
  const seconds = (list) => (list.length ? list.map((s) => s + " s").join(", ") : "none");
  byId("waits").textContent = seconds(report.waits);
  byId("retries").textContent = seconds(report.retries);
  for (const [code, meaning] of Object.entries(report.refusals)) {
    byId("refusals").appendChild(element("li", "", `${code}: ${meaning}`));
  }

  const measure = () => {
    document.body.dataset.height = String(document.documentElement.scrollHeight);
  };
  Viz.instance().then((viz) => {
    const svg = viz.renderSVGElement(report.graph);
    svg.setAttribute("id", "workflow-graph");
    byId("graph").appendChild(svg);
    document.body.dataset.graph = "drawn";
    measure();
  });

  // The run's own axis: 0 is when it started.
  const t0 = report.axis.start;
  const span = Math.max(report.axis.end - t0, 1e-3);
  const at = (t) => Math.min(100, Math.max(0, (100 * (t - t0)) / span));
  const duration = (start, end) => {
    const ms = (end - start) * 1000;
    return ms >= 1000 ? (ms / 1000).toFixed(2) + " s" : ms.toFixed(1) + " ms";
  };
  const place = (bar, start, end) => {
    bar.style.left = at(start) + "%";
    bar.style.width = Math.max(at(end) - at(start), 0.15) + "%";
  };

  const timeline = byId("timeline");
  const ruler = element("div", "ruler");
  for (let tick = 0; tick <= 4; tick++) {
    const mark = element("span", "tick", ((span * tick) / 4).toFixed(1) + " s");
    mark.style.left = tick * 25 + "%";
    ruler.appendChild(mark);
  }
  timeline.appendChild(ruler);
  let lanes = 0;
  for (const fn of report.functions) {
    const box = element("div", "function");
    const hidden = fn.hidden ? `; ${fn.hidden} more not drawn (every one that failed is)` : "";
    box.appendChild(element("h3", "", `${fn.name}: ${fn.invocations} invocation(s)${hidden}`));
    fn.lanes.forEach((lane, number) => {
      const row = element("div", "lane");
      const invocation = element("div", `bar invocation ${lane.outcome}`);
      place(invocation, lane.start, lane.end);
      invocation.title = `invocation ${number + 1}: ${duration(lane.start, lane.end)}`;
      row.appendChild(invocation);
      for (const part of lane.parts) {
        const bar = element("div", `bar part ${part.outcome}`);
        place(bar, part.start, part.end);
        bar.title = `${part.name}: ${duration(part.start, part.end)}`;
        row.appendChild(bar);
      }
      const named = lane.parts.map((p) => `${p.name} ${duration(p.start, p.end)}`).join(", ");
      const label = element("span", "label", `${duration(lane.start, lane.end)}: ${named}`);
      label.style.left = `calc(${at(lane.end)}% + 4px)`;
      if (at(lane.end) > 60) {
        label.style.left = "auto";
        label.style.right = `calc(${100 - at(lane.start)}% + 4px)`;
      }
      row.appendChild(label);
      box.appendChild(row);
      lanes += 1;
    });
    if (fn.calls.length) {
      const table = element("table", "calls");
      const head = element("tr");
      for (const name of ["calls inside", "count", "median", "longest", "refused as expected", "errors", "from – to"]) {
        head.appendChild(element("th", "", name));
      }
      table.appendChild(head);
      for (const call of fn.calls) {
        const tr = element("tr", call.errors ? "error" : call.refused ? "refused" : "");
        const cells = [
          call.name, call.count, call.median_ms.toFixed(1) + " ms", call.max_ms.toFixed(1) + " ms",
          call.refused, call.errors,
          `${(call.first - t0).toFixed(2)} s – ${(call.last - t0).toFixed(2)} s`,
        ];
        for (const cell of cells) tr.appendChild(element("td", "", String(cell)));
        table.appendChild(tr);
      }
      box.appendChild(table);
    }
    timeline.appendChild(box);
  }
  if (!report.functions.length) timeline.appendChild(element("p", "note", "No trace received for this run."));
  document.body.dataset.timeline = String(lanes);

  const facts = byId("facts");
  for (const [heading, rows] of Object.entries(report.facts)) {
    facts.appendChild(element("h3", "", heading));
    const table = element("table");
    for (const row of rows) {
      const tr = element("tr");
      for (const cell of row) tr.appendChild(element("td", "", cell));
      table.appendChild(tr);
    }
    facts.appendChild(table);
  }
  measure();
})();
