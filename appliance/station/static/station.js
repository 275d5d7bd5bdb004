// Live progress of a running batch: poll the status and reload when it is done.
(function () {
  "use strict";
  const panel = document.querySelector("[data-poll]");
  if (!panel) { return; }
  const bar = panel.querySelector(".bar");
  const status = panel.querySelector(".status");
  const names = { capture: "Erfassen", clean: "Bereinigen", ocr: "Texterkennung", pdf: "PDF/A" };
  function describe(batch) {
    if (!batch.stage) { return "wird vorbereitet"; }
    if (batch.stage === "capture") { return "Erfassen, " + batch.done + " Seiten gescannt"; }
    return (names[batch.stage] || batch.stage) + " Seite " + batch.done + " von " + batch.total;
  }
  async function poll() {
    try {
      const answer = await fetch(panel.dataset.poll, { headers: { Accept: "application/json" } });
      const batch = await answer.json();
      if (batch.state !== "running") { window.location.reload(); return; }
      const share = batch.total ? Math.round((100 * batch.done) / batch.total) : 0;
      bar.style.width = share + "%";
      status.textContent = "Läuft: " + describe(batch);
    } catch (error) {
      status.textContent = "Verbindung zur Station unterbrochen – neuer Versuch …";
    }
    window.setTimeout(poll, 500);
  }
  window.setTimeout(poll, 300);
})();
