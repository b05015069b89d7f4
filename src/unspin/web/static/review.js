// The archive gate's review: held articles and copies, accept or reject (GET/POST /api/review).
// Separate from app.js on purpose; the section stays hidden when the server has no archive.
"use strict";

(function () {
  const panel = document.getElementById("review-panel");
  const rows = document.getElementById("review-rows");
  const table = document.getElementById("review-table");
  const status = document.getElementById("review-status");

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  async function act(id, action) {
    status.textContent = "";
    const resp = await fetch("/api/review", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ id: id, action: action }),
    });
    const data = await resp.json();
    status.textContent = resp.ok ? `${data.id}: ${data.status}` : data.error;
    await load();
  }

  function button(label, id, action) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "button secondary";
    b.textContent = label;
    b.dataset.action = action;
    b.addEventListener("click", () => act(id, action));
    return b;
  }

  async function load() {
    const resp = await fetch("/api/review");
    if (!resp.ok) return;
    const data = await resp.json();
    rows.replaceChildren();
    for (const a of data.articles) {
      const tr = document.createElement("tr");
      tr.dataset.id = a.id;
      tr.append(cell(a.status + (a.fixed ? " (fixed)" : "")));
      tr.append(cell(a.score === null ? "-" : a.score.toFixed(2)));
      tr.append(cell(a.title ? `${a.title} (${a.id})` : a.id));
      tr.append(cell(a.provider || ""));
      const found = a.findings.slice(0, 3).map((f) => f.suggestion ? `${f.text} \u2192 ${f.suggestion}` : f.text);
      const src = a.sources.map((s) => `source: ${s.id}`);
      tr.append(cell(src.concat(found).join("; ")));
      const td = document.createElement("td");
      td.append(button("Accept", a.id, "accept"), button("Reject", a.id, "reject"));
      tr.append(td);
      rows.append(tr);
    }
    table.hidden = data.articles.length === 0;
    if (data.articles.length === 0 && !status.textContent) status.textContent = "Nothing to review.";
  }

  async function start() {
    const info = await (await fetch("/api/info")).json();
    if (!info.archive) return;
    panel.hidden = false;
    await load();
  }

  start().catch(() => {});
})();
