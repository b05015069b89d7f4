// unspin serve: the page. It only renders what POST /api/check returns; every finding, suggestion and
// score comes from the server's analyze(). Article text is only ever put into the page with
// textContent / createTextNode, never as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);

  const state = {
    info: null,
    text: "",
    name: "pasted text",
    kind: "text",
    chars: [], // the document text as an array of code points: finding offsets are Python str offsets
    findings: [], // span findings, in document order, each with .chosen (index of accepted suggestion)
    notes: [], // document-level findings
    showFixed: false,
    // The fixed text comes from the server (POST /api/fix, the same code as 'unspin fix'), which
    // fits each replacement to its place: case, inflection, "a"/"an", HTML escaping.
    fix: { seq: 0, pending: null, text: "", title: null, applied: new Map(), skipped: new Map() },
    title: null, // the title as checked; the Fixed tab shows state.fix.title
    frontMatter: null, // Markdown front matter as fields: {end, fields: [{key, value, start, end}]}
  };

  // ---------------------------------------------------------------------------------------------
  // Small DOM helpers

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function percent(x) {
    return Math.round(Number(x) * 100) + "%";
  }

  function slice(start, end) {
    return state.chars.slice(start, end).join("");
  }

  // ---------------------------------------------------------------------------------------------
  // Talking to the server

  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = false;
  }

  function hideError() {
    $("error").hidden = true;
    $("error").textContent = "";
  }

  async function post(url, body, contentType) {
    hideError();
    $("busy").hidden = false;
    $("check-button").disabled = true;
    try {
      let response;
      try {
        response = await fetch(url, { method: "POST", headers: { "Content-Type": contentType }, body });
      } catch (err) {
        showError("Could not reach the unspin server. Is 'unspin serve' still running?");
        return;
      }
      let payload = null;
      try {
        payload = await response.json();
      } catch (err) {
        payload = null;
      }
      if (!response.ok || payload === null) {
        const reason = payload && payload.error ? payload.error : "the server answered " + response.status;
        showError(reason);
        return;
      }
      render(payload);
    } finally {
      $("busy").hidden = true;
      $("check-button").disabled = false;
    }
  }

  function checkPasted() {
    const text = $("article-input").value;
    const body = JSON.stringify({ text: text, kind: $("kind-select").value, name: "pasted text" });
    return post("/api/check", body, "application/json");
  }

  function checkFile(file) {
    if (!file) return Promise.resolve();
    $("file-name").textContent = file.name;
    const query = "?name=" + encodeURIComponent(file.name) + "&kind=" + encodeURIComponent($("kind-select").value);
    return post("/api/check" + query, file, "application/octet-stream");
  }

  async function loadInfo() {
    try {
      const response = await fetch("/api/info");
      state.info = await response.json();
    } catch (err) {
      state.info = null;
      return;
    }
    const info = state.info;
    $("server-info").textContent =
      "v" + info.version + " · upload limit " + info.max_upload_text + " · archive " + (info.archive ? "on" : "off");
  }

  // ---------------------------------------------------------------------------------------------
  // Results

  function render(report) {
    state.name = report.path || "pasted text";
    state.kind = report.kind || "text";
    state.text = report.text || "";
    state.chars = Array.from(state.text);
    state.title = report.title || null;
    state.frontMatter = report.front_matter && Array.isArray(report.front_matter.fields) ? report.front_matter : null;
    state.fix = {
      seq: state.fix.seq + 1, pending: null, text: state.text, title: state.title, applied: new Map(),
      skipped: new Map(),
    };
    state.findings = [];
    state.notes = [];
    (report.findings || []).forEach((f) => {
      if (f.scope === "span" && f.end > f.start) {
        state.findings.push(Object.assign({}, f, { chosen: null }));
      } else {
        state.notes.push(f);
      }
    });
    state.findings.sort((a, b) => a.start - b.start || a.end - b.end);
    state.findings.forEach((f, i) => (f.n = i + 1));
    state.showFixed = false;

    renderSummary(report);
    renderTitle();
    renderSources(report);
    renderSuspicious(report);
    $("input-panel").hidden = true;
    $("results").hidden = false;
    refresh();
    window.scrollTo(0, 0);
  }

  function renderSummary(report) {
    const score = Number(report.score) || 0;
    $("score-value").textContent = score.toFixed(2);
    const bar = $("score-bar");
    bar.style.width = Math.max(2, Math.round(score * 100)) + "%";
    bar.className = "meter-bar " + report.verdict;
    const verdict = $("verdict");
    verdict.textContent = report.verdict;
    verdict.className = "verdict " + report.verdict;
    // Counted per place: findings of several rules on overlapping words are one spun phrase.
    const groups = places();
    const withSuggestion = groups.filter((g) => g.some((f) => f.suggestions.length > 0)).length;
    $("summary-text").textContent =
      state.name + " · " + report.words + " words · " + groups.length + " spun phrase" +
      (groups.length === 1 ? "" : "s") + " (" + withSuggestion + " with a suggestion)";
    const notes = $("document-notes");
    clear(notes);
    state.notes.forEach((f) => notes.appendChild(el("div", "note", f.rule + ": " + f.message)));
  }

  function overlaps(a, b) {
    return a.start < b.end && b.start < a.end;
  }

  // Findings on overlapping words, as groups in document order: one place each.
  function places() {
    const groups = [];
    let end = -1;
    state.findings.forEach((f) => {
      if (groups.length && f.start < end) groups[groups.length - 1].push(f);
      else groups.push([f]);
      end = Math.max(end, f.end);
    });
    return groups;
  }

  // The accepted finding whose words overlap f's (f is then covered by it), or null.
  function coveredBy(f) {
    if (f.chosen !== null) return null;
    return state.findings.find((g) => g !== f && g.chosen !== null && overlaps(f, g)) || null;
  }

  // What to highlight, without overlaps: each accepted finding alone, and every other place as one mark
  // over all its findings' words, numbered with each of them (so no number hides behind another).
  function highlights() {
    const out = state.findings.filter((f) => f.chosen !== null).map((f) => ({ start: f.start, end: f.end, items: [f] }));
    places().forEach((group) => {
      const open = group.filter((f) => f.chosen === null && coveredBy(f) === null);
      if (open.length === 0) return;
      const start = Math.min(...open.map((f) => f.start));
      const end = Math.max(...open.map((f) => f.end));
      if (out.some((h) => h.items[0].chosen !== null && start < h.end && h.start < end)) return;
      out.push({ start: start, end: end, items: open });
    });
    return out.sort((a, b) => a.start - b.start);
  }

  function markFor(h) {
    const f = h.items[0];
    const mark = el("mark", "finding " + f.severity);
    mark.dataset.n = h.items.map((g) => g.n).join(",");
    mark.id = "mark-" + f.n;
    mark.tabIndex = 0;
    if (f.chosen !== null) {
      mark.classList.add("accepted");
      mark.textContent = replacementFor(f);
      mark.title = "was: " + f.text;
    } else {
      mark.textContent = slice(h.start, h.end);
      const withSuggestion = h.items.find((g) => g.suggestions.length > 0);
      mark.title = withSuggestion ? "use: " + withSuggestion.suggestions[0].text : f.message;
      if (h.items.length > 1) mark.classList.add("several");
    }
    mark.addEventListener("click", () => focusCard(f.n));
    mark.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        focusCard(f.n);
      }
    });
    return mark;
  }

  // The text from..to into node, with the highlights that fall inside it.
  function renderRange(node, from, to, marks) {
    let pos = from;
    marks.forEach((h) => {
      if (h.start < from || h.end > to) return;
      if (h.start > pos) node.appendChild(document.createTextNode(slice(pos, h.start)));
      node.appendChild(markFor(h));
      pos = h.end;
    });
    if (pos < to) node.appendChild(document.createTextNode(slice(pos, to)));
  }

  function renderArticle() {
    const view = $("article-view");
    clear(view);
    const marks = highlights();
    let from = 0;
    const fm = state.frontMatter;
    if (fm) {
      // Front matter as fields, not YAML lines; checked fields (title, excerpt) keep their highlights.
      const list = el("dl", "front-matter");
      fm.fields.forEach((field) => {
        list.appendChild(el("dt", null, field.key));
        const value = el("dd");
        if (Number.isInteger(field.start) && Number.isInteger(field.end)) renderRange(value, field.start, field.end, marks);
        else value.textContent = field.value;
        list.appendChild(value);
      });
      view.appendChild(list);
      from = Math.min(fm.end, state.chars.length);
      while (from < state.chars.length && state.chars[from] === "\n") from++;
    }
    renderRange(view, from, state.chars.length, marks);
  }

  function renderTitle() {
    const title = state.showFixed ? state.fix.title : state.title;
    $("doc-title").textContent = title || "";
    $("doc-title").hidden = !title;
  }

  function focusCard(n) {
    document.querySelectorAll(".finding-card.focused").forEach((c) => c.classList.remove("focused"));
    const card = $("card-" + n);
    if (!card) return;
    card.classList.add("focused");
    card.scrollIntoView({ block: "nearest", behavior: "smooth" });
    const button = card.querySelector("button");
    if (button) button.focus({ preventScroll: true });
  }

  function renderFindings() {
    const list = $("findings-list");
    clear(list);
    const nplaces = places().length;
    $("finding-count").textContent = nplaces ? String(nplaces) : "";
    $("no-findings").hidden = state.findings.length > 0;
    state.findings.forEach((f) => {
      const card = el("li", "finding-card" + (f.chosen !== null ? " accepted" : ""));
      card.id = "card-" + f.n;
      const head = el("div", "card-head");
      head.appendChild(el("span", "badge", f.n));
      head.appendChild(el("span", "rule", f.rule + " · " + f.rule_name));
      head.appendChild(el("span", "confidence", percent(f.confidence)));
      card.appendChild(head);

      const phrase = el("div", "phrase");
      phrase.appendChild(el("span", "spun", f.text));
      if (f.chosen !== null) {
        phrase.appendChild(el("span", "arrow", "→"));
        phrase.appendChild(el("span", "chosen", replacementFor(f)));
      }
      card.appendChild(phrase);
      card.appendChild(el("p", "message", f.message));
      if (f.chosen !== null && state.fix.skipped.has(f.start)) {
        card.appendChild(el("p", "skipped", "Not applied: " + state.fix.skipped.get(f.start) + "."));
      }
      const cover = coveredBy(f);
      if (cover) card.classList.add("covered");

      const actions = el("div", "card-actions");
      if (cover) {
        // Its words were already replaced by an accepted change: nothing left to offer here.
        actions.appendChild(el("span", "muted", "Covered by the change accepted in #" + cover.n + "."));
      } else if (f.chosen !== null) {
        const undo = el("button", "button ghost small undo", "Undo");
        undo.type = "button";
        undo.addEventListener("click", () => choose(f, null));
        actions.appendChild(undo);
      } else if (f.suggestions.length === 0) {
        actions.appendChild(el("span", "muted", "No suggestion: reword by hand."));
      } else {
        f.suggestions.forEach((s, i) => {
          const b = el("button", "button small suggestion", "Use “" + s.text + "”");
          b.type = "button";
          b.title = "suggested by " + s.source;
          b.addEventListener("click", () => choose(f, i));
          actions.appendChild(b);
        });
      }
      const locate = el("button", "button ghost small locate", "Show");
      locate.type = "button";
      locate.addEventListener("click", () => {
        const mark = Array.from(document.querySelectorAll("#article-view mark"))
        .find((m) => m.dataset.n.split(",").includes(String(f.n)));
        if (mark) {
          showFixed(false);
          mark.scrollIntoView({ block: "center", behavior: "smooth" });
          mark.classList.add("flash");
          setTimeout(() => mark.classList.remove("flash"), 900);
        }
      });
      actions.appendChild(locate);
      card.appendChild(actions);
      list.appendChild(card);
    });
  }

  function choose(f, index) {
    if (index !== null) {
      // Two accepted replacements may not cover the same characters.
      state.findings.forEach((g) => {
        if (g !== f && g.chosen !== null && g.start < f.end && f.start < g.end) g.chosen = null;
      });
    }
    f.chosen = index;
    refresh();
  }

  function acceptAll() {
    const taken = state.findings.filter((f) => f.chosen !== null);
    state.findings.forEach((f) => {
      if (f.chosen !== null || f.suggestions.length === 0) return;
      if (taken.some((t) => overlaps(f, t))) return;
      f.chosen = 0;
      taken.push(f);
    });
    refresh();
  }

  function acceptedEdits() {
    return state.findings
      .filter((f) => f.chosen !== null)
      .map((f) => ({
        start: f.start, end: f.end, original: f.text, suggestion: f.suggestions[f.chosen],
        rule: f.rule, confidence: f.confidence,
      }));
  }

  // Ask the server for the text with the accepted suggestions applied. Only the latest answer counts.
  function updateFix() {
    const fix = state.fix;
    const seq = ++fix.seq;
    const box = $("fixed-text");
    const edits = acceptedEdits();
    if (edits.length === 0) {
      fix.pending = null;
      fix.text = state.text;
      fix.title = state.title;
      fix.applied = new Map();
      fix.skipped = new Map();
      box.textContent = fix.text;
      box.dataset.state = "ready";
      return Promise.resolve(true);
    }
    box.dataset.state = "pending";
    const body = JSON.stringify({ text: state.text, kind: state.kind, name: state.name, edits: edits });
    fix.pending = fetch("/api/fix", { method: "POST", headers: { "Content-Type": "application/json" }, body })
      .then((response) => response.json().then((payload) => ({ ok: response.ok, payload: payload })))
      .then(({ ok, payload }) => {
        if (seq !== fix.seq) return false;
        if (!ok) throw new Error(payload && payload.error ? payload.error : "the fix could not be made");
        fix.text = payload.text;
        fix.title = payload.title === undefined ? state.title : payload.title;
        fix.applied = new Map(payload.applied.map((a) => [a.start, a.replacement]));
        fix.skipped = new Map(payload.skipped.map((k) => [k.start, k.reason]));
        fix.pending = null;
        box.textContent = fix.text;
        box.dataset.state = "ready";
        renderArticle();
        renderFindings();
        renderTitle();
        return true;
      })
      .catch((err) => {
        if (seq !== fix.seq) return false;
        fix.pending = null;
        box.dataset.state = "error";
        showError("Could not apply the suggestions: " + (err && err.message ? err.message : err));
        return false;
      });
    return fix.pending;
  }

  function replacementFor(f) {
    const shaped = state.fix.applied.get(f.start);
    return shaped !== undefined ? shaped : f.suggestions[f.chosen].text;
  }

  function refresh() {
    renderArticle();
    renderFindings();
    updateFix();
    const open = state.findings.filter((f) => f.chosen === null && f.suggestions.length > 0 && !coveredBy(f)).length;
    $("accept-all").disabled = open === 0;
    const accepted = state.findings.filter((f) => f.chosen !== null).length;
    $("download").textContent = accepted ? "Download fixed text (" + accepted + " change" +
      (accepted === 1 ? "" : "s") + ")" : "Download text";
    showFixed(state.showFixed);
  }

  function showFixed(on) {
    state.showFixed = on;
    $("fixed-text").hidden = !on;
    $("article-view").hidden = on;
    $("tab-fixed").classList.toggle("active", on);
    $("tab-marked").classList.toggle("active", !on);
    $("tab-fixed").setAttribute("aria-selected", String(on));
    $("tab-marked").setAttribute("aria-selected", String(!on));
    renderTitle();
  }

  function fixedName() {
    const name = state.name && state.name !== "pasted text" ? state.name : "article";
    const dot = name.lastIndexOf(".");
    const ext = { markdown: ".md", html: ".html" }[state.kind] || ".txt";
    return dot > 0 ? name.slice(0, dot) + ".fixed" + name.slice(dot) : name + ".fixed" + ext;
  }

  async function download() {
    if (state.fix.pending) await state.fix.pending;
    if ($("fixed-text").dataset.state !== "ready") return;
    const type = state.kind === "html" ? "text/html" : state.kind === "markdown" ? "text/markdown" : "text/plain";
    const blob = new Blob([state.fix.text], { type: type + ";charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const a = el("a");
    a.href = url;
    a.download = fixedName();
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ---------------------------------------------------------------------------------------------
  // Likely sources (only when the server has an archive)

  // issue #13: the ranked suspicious words of the report's "suspicious" field (text nodes only)
  function renderSuspicious(report) {
    const list = $("suspicious-list");
    clear(list);
    const items = Array.isArray(report.suspicious) ? report.suspicious : [];
    $("no-suspicious").hidden = items.length > 0;
    items.forEach((s) => {
      const li = el("li", "suspicious-item");
      li.appendChild(el("span", "suspicious-where", "line " + s.line + ", col " + s.column));
      li.appendChild(el("span", "suspicious-text", s.text));
      li.appendChild(document.createTextNode(" \u2192 "));
      li.appendChild(el("span", "suspicious-suggestion", s.suggestion));
      li.appendChild(el("span", "suspicious-score", percent(s.score)));
      list.appendChild(li);
    });
  }

  function safeUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  function renderSources(report) {
    const box = $("sources");
    clear(box);
    if (!report.archive) {
      const p = el("p", "empty", "No archive configured. Start the server with ");
      p.appendChild(el("code", null, "unspin serve --db URL"));
      p.appendChild(document.createTextNode(" to see the articles this one was likely copied from."));
      box.appendChild(p);
      return;
    }
    const sources = report.sources || [];
    if (sources.length === 0) {
      box.appendChild(el("p", "empty", "No likely source found in the archive."));
      return;
    }
    sources.forEach((s) => box.appendChild(sourceCard(s)));
  }

  function sourceCard(s) {
    const card = el("article", "source-card");
    const head = el("div", "source-head");
    const title = s.title || s.id || "untitled";
    const url = safeUrl(s.url);
    if (url) {
      const a = el("a", "source-title", title);
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      head.appendChild(a);
    } else {
      head.appendChild(el("span", "source-title", title));
    }
    const meta = [];
    const excerptOnly = s.kind === "excerpt";
    if (excerptOnly) meta.push("excerpt only");
    if (s.score !== undefined && s.score !== null) meta.push("match " + percent(s.score));
    if (!excerptOnly && s.coverage !== undefined && s.coverage !== null) meta.push("covers " + percent(s.coverage));
    if (excerptOnly && Array.isArray(s.aligned_words)) meta.push(s.aligned_words.length + " excerpt words aligned");
    if (s.id !== undefined && s.id !== null && s.id !== s.url) meta.push("id " + s.id);
    head.appendChild(el("span", "source-meta", meta.join(" · ")));
    card.appendChild(head);
    if (excerptOnly) {
      // the archive holds only this source's title and excerpt (an aggregator item): say what was compared
      const note = el("p", "muted", "The archive holds only this source's title and excerpt; compared: ");
      const compared = (s.compared && s.compared.excerpt) || "";
      note.appendChild(el("q", null, compared));
      card.appendChild(note);
    }
    if (s.story && Array.isArray(s.story.members)) {
      const matched = new Set(s.story.matched || []);
      const p = el("p", "muted", "This copy tells the story of these " + s.story.members.length + " originals: ");
      s.story.members.forEach((m, k) => {
        if (k) p.appendChild(document.createTextNode("; "));
        const label = (m.title || m.id || "untitled") + (m.provider ? " (" + m.provider + ")" : "") +
          (matched.has(m.id) ? " ✓" : "");
        const href = safeUrl(m.url);
        if (href) {
          const a = el("a", null, label);
          a.href = href;
          a.target = "_blank";
          a.rel = "noopener noreferrer";
          p.appendChild(a);
        } else {
          p.appendChild(document.createTextNode(label));
        }
      });
      card.appendChild(p);
    }

    const subs = s.substitutions || [];
    if (subs.length) {
      const chips = el("div", "chips");
      chips.appendChild(el("span", "muted", "Swapped words: "));
      const seen = new Set();
      subs.forEach((sub) => {
        const spun = sub.spun || "";
        const orig = sub.original || "";
        const label = spun + " → " + orig;
        if (typeof spun !== "string" || typeof orig !== "string" || seen.has(label.toLowerCase())) return;
        if (seen.size >= 40) return;
        seen.add(label.toLowerCase());
        chips.appendChild(el("span", "chip", label));
      });
      card.appendChild(chips);
    }

    const passages = (s.passages || []).filter((p) => p.query || p.source);
    if (passages.length) {
      const table = el("div", "passages");
      const headRow = el("div", "passage-row head");
      headRow.appendChild(el("div", null, "This article"));
      headRow.appendChild(el("div", null, "Source"));
      table.appendChild(headRow);
      passages.slice(0, 30).forEach((p) => {
        const row = el("div", "passage-row");
        row.appendChild(passageNode(p.query || "", p.query_start, subs, "query", "swap spun"));
        row.appendChild(passageNode(p.source || "", p.source_start, subs, "source", "swap original"));
        if (p.similarity !== undefined && p.similarity !== null) row.title = "similarity " + percent(p.similarity);
        table.appendChild(row);
      });
      card.appendChild(table);
    }
    return card;
  }

  // A passage with the swapped words marked; substitution offsets index the same texts as the passage's.
  function passageNode(text, base, subs, side, className) {
    const node = el("div", "passage");
    const chars = Array.from(text);
    const ranges = typeof base === "number" ? subs
      .map((sub) => [sub[side + "_start"] - base, sub[side + "_end"] - base])
      .filter(([a, b]) => Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b <= chars.length && a < b)
      .sort((x, y) => x[0] - y[0]) : [];
    let pos = 0;
    ranges.forEach(([a, b]) => {
      if (a < pos) return;
      if (a > pos) node.appendChild(document.createTextNode(chars.slice(pos, a).join("")));
      node.appendChild(el("span", className, chars.slice(a, b).join("")));
      pos = b;
    });
    if (pos < chars.length) node.appendChild(document.createTextNode(chars.slice(pos).join("")));
    return node;
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring

  function start() {
    $("check-button").addEventListener("click", checkPasted);
    $("article-input").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) checkPasted();
    });
    $("file-input").addEventListener("change", (e) => {
      const file = e.target.files && e.target.files[0];
      checkFile(file).then(() => (e.target.value = ""));
    });
    const input = $("article-input");
    input.addEventListener("dragover", (e) => {
      e.preventDefault();
      input.classList.add("dragging");
    });
    input.addEventListener("dragleave", () => input.classList.remove("dragging"));
    input.addEventListener("drop", (e) => {
      e.preventDefault();
      input.classList.remove("dragging");
      const file = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
      if (file) checkFile(file);
    });
    $("accept-all").addEventListener("click", acceptAll);
    $("download").addEventListener("click", download);
    $("new-check").addEventListener("click", () => {
      $("results").hidden = true;
      $("input-panel").hidden = false;
      $("file-name").textContent = "";
      hideError();
      $("article-input").focus();
    });
    $("tab-marked").addEventListener("click", () => showFixed(false));
    $("tab-fixed").addEventListener("click", () => showFixed(true));
    loadInfo();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
