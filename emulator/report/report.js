// Renders window.REPORT: the workflow graph (Viz.js, Graphviz in WebAssembly), the
// traces as a timeline, and the facts of the run. No network: everything is in the page.
(function () {
  const report = window.REPORT;
  document.title = report.title;
  document.getElementById("title").textContent = report.title;
  document.getElementById("summary").textContent = report.summary;
  document.getElementById("waits").textContent =
    report.waits.length ? report.waits.map((s) => s + " s").join(", ") : "none";

  Viz.instance().then((viz) => {
    const svg = viz.renderSVGElement(report.graph);
    svg.setAttribute("id", "workflow-graph");
    document.getElementById("graph").appendChild(svg);
    document.body.dataset.graph = "drawn";
  });

  const timeline = document.getElementById("timeline");
  const all = report.functions.flatMap((f) => f.invocations.flat());
  const t0 = Math.min(...all.map((bar) => bar.start));
  const t1 = Math.max(...all.map((bar) => bar.end));
  const scale = (t) => (100 * (t - t0)) / Math.max(t1 - t0, 1e-6);
  for (const fn of report.functions) {
    const box = document.createElement("div");
    box.className = "function";
    const title = document.createElement("h3");
    title.textContent = `${fn.name}: ${fn.invocations.length} invocation(s) traced`;
    box.appendChild(title);
    for (const bars of fn.invocations) {
      for (const bar of bars) {
        const lane = document.createElement("div");
        lane.className = "lane";
        const el = document.createElement("div");
        el.className = `bar depth-${Math.min(bar.depth, 2)}` + (bar.error ? " error" : "") +
          (scale(bar.start) > 60 ? " late" : "");  // its label goes to its left
        el.style.left = scale(bar.start) + "%";
        el.style.width = Math.max(scale(bar.end) - scale(bar.start), 0.2) + "%";
        el.style.marginLeft = 0;
        const label = document.createElement("span");
        label.textContent = `${"· ".repeat(bar.depth)}${bar.name} ${((bar.end - bar.start) * 1000).toFixed(1)} ms`;
        el.appendChild(label);
        lane.appendChild(el);
        box.appendChild(lane);
      }
    }
    timeline.appendChild(box);
  }
  document.body.dataset.timeline = String(timeline.querySelectorAll(".bar").length);

  const facts = document.getElementById("facts");
  for (const [heading, rows] of Object.entries(report.facts)) {
    const h = document.createElement("h3");
    h.textContent = heading;
    facts.appendChild(h);
    const table = document.createElement("table");
    for (const row of rows) {
      const tr = document.createElement("tr");
      for (const cell of row) {
        const td = document.createElement("td");
        td.textContent = cell;
        tr.appendChild(td);
      }
      table.appendChild(tr);
    }
    facts.appendChild(table);
  }
})();
