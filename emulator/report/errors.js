// Any error while the page renders is shown on it (and read by the browser test).
(function () {
  const shown = [];
  const show = (message) => {
    shown.push(String(message));
    const box = document.getElementById("errors");
    box.hidden = false;
    box.textContent = shown.join("\n");
    document.body.dataset.errors = String(shown.length);
  };
  window.addEventListener("error", (event) => show(event.message));
  window.addEventListener("unhandledrejection", (event) => show(event.reason));
  const consoleError = console.error;
  console.error = (...args) => { show(args.join(" ")); consoleError(...args); };
})();
