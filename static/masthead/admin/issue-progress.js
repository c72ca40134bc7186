// Refreshes the round-up progress panel while an issue sends. The numbers are rendered on the
// server too: without JavaScript the panel shows them as of the page load.
const panel = document.querySelector("[data-issue-progress]");
const POLL_MS = 2000;
const FINAL = new Set(["sent", "cancelled"]);

function show(field, value) {
  const cell = panel.querySelector(`[data-progress-field="${field}"]`);
  if (cell) cell.textContent = value;
}

if (panel) {
  const note = panel.querySelector("[data-progress-note]");
  if (note) note.textContent = "These numbers update every two seconds.";
  let previous = null;

  async function poll() {
    let data;
    try {
      const response = await fetch(panel.dataset.url, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(response.statusText);
      data = await response.json();
    } catch {
      window.setTimeout(poll, POLL_MS * 3);
      return;
    }
    for (const field of ["status_label", "recipients", "sent", "failed", "skipped", "remaining"]) {
      show(field, data[field]);
    }
    // Current rate from the last two samples; the server's figure is the average since the start.
    let rate = data.rate;
    if (previous && data.at > previous.at && data.status === "sending") {
      rate = Math.max(0, (data.sent - previous.sent) / (data.at - previous.at)).toFixed(1);
    }
    show("rate", rate);
    const bar = panel.querySelector("[data-progress-bar]");
    if (bar) {
      bar.value = data.percent;
      bar.textContent = `${data.percent}%`;
    }
    const reason = panel.querySelector('[data-progress-field="paused_reason"]');
    if (reason) {
      reason.textContent = data.paused_reason;
      reason.hidden = !data.paused_reason;
    }
    previous = data;
    if (FINAL.has(data.status)) {
      if (note) note.textContent = `Finished: ${data.status_label.toLowerCase()}.`;
      return;
    }
    window.setTimeout(poll, POLL_MS);
  }

  window.setTimeout(poll, POLL_MS);
}
