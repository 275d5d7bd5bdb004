// Fleet pages (marketplace/web/fleet_run_pages.py, fleet_pages.py).
//
// A running run's page follows GET /api/v1/fleet/runs/{id}/events?after=N once a
// second and appends the new events to its table; when the run is no longer
// running the page is loaded again and shows the stored result per station.
// Without JavaScript the page reloads itself (a <noscript> meta refresh).
//
// The token page puts the station's address in the browser history, so a reload
// shows the station page instead of sending the form again.
"use strict";

(function () {
  const POLL_MS = 1000;
  const RELOAD_MS = 1500; // the last live events stay in view a moment

  const once = document.querySelector("[data-replace-url]");
  if (once) {
    history.replaceState(null, "", once.dataset.replaceUrl);
  }

  const table = document.querySelector("table[data-run-live]");
  if (!table) {
    return;
  }
  const runId = table.dataset.runLive;
  const labels = JSON.parse(table.dataset.labels || "{}");
  const body = table.tBodies[0];
  const note = document.getElementById("live-note");
  const badge = document.getElementById("run-state");
  let after = Number(table.dataset.after || "0");

  function cell(row, text, className) {
    const td = row.insertCell();
    td.textContent = text;
    if (className) {
      td.className = className;
    }
    return td;
  }

  function append(event) {
    const row = body.insertRow();
    row.className = "event live";
    row.dataset.seq = String(event.seq);
    row.dataset.outcome = event.outcome || "start";
    cell(row, String(event.seq), "num");
    cell(row, new Date(event.created_at).toLocaleString("de-DE"));
    cell(row, event.host || "–");
    cell(row, (event.role ? event.role + ": " : "") + event.task);
    const result = cell(row, "");
    const tag = document.createElement("span");
    tag.className = event.outcome ? "badge outcome " + event.outcome : "muted";
    tag.textContent = event.outcome ? labels[event.outcome] || event.outcome : "beginnt";
    result.appendChild(tag);
    cell(row, event.message || "");
  }

  async function json(url) {
    const answer = await fetch(url, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!answer.ok) {
      throw new Error(url + ": " + answer.status);
    }
    return answer.json();
  }

  async function poll() {
    try {
      const base = "/api/v1/fleet/runs/" + runId;
      const events = await json(base + "/events?after=" + after);
      for (const event of events) {
        append(event);
        after = Math.max(after, event.seq);
      }
      const run = await json(base);
      if (run.state !== "running") {
        badge.dataset.state = run.state;
        note.textContent = "Der Lauf ist beendet; das Ergebnis wird geladen …";
        const rest = await json(base + "/events?after=" + after);
        rest.forEach(append);
        setTimeout(function () { location.reload(); }, RELOAD_MS);
        return;
      }
      const count = body.rows.length;
      note.textContent = "Läuft – " + count + (count === 1 ? " Ereignis" : " Ereignisse") + " bisher.";
    } catch (error) {
      note.textContent = "Fortschritt gerade nicht abrufbar (" + error.message +
        "); neuer Versuch in Kürze.";
    }
    setTimeout(poll, POLL_MS);
  }

  poll();
})();
