// The viewer's page: picks a model, a file, composites and a target, asks /api/explain, and shows what comes back.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { models: [], composites: [], file: null, target: null, busy: null, layers: null };
const defaults = new Set(["dtd", "dtd-w2", "epsilon", "alpha2-beta1"]);

function fmt(v) {
  if (v === null || v === undefined) return "";
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : Number(v.toPrecision(5)).toString();
}

function showError(message) {
  const e = $("error");
  e.textContent = message;
  e.hidden = !message;
}

async function api(path, init) {
  const response = await fetch(path, init);
  const body = await response.json();
  if (!response.ok) throw new Error(`${body.error} (${body.code})`);
  return body;
}

async function start() {
  const info = await api("/api/models");
  state.models = info.models;
  state.composites = info.composites;
  for (const m of info.models) $("model").add(new Option(`${m.name} (${m.file})`, m.name));
  for (const c of info.composites) {
    const label = document.createElement("label");
    label.title = c.description;
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = c.id;
    box.checked = defaults.has(c.id);
    box.addEventListener("change", onCompositesChanged);
    label.append(box, ` ${c.title}`);
    $("composites").append(label);
  }
  $("rule-names").textContent = info.rules.join(", ");
  for (const r of info.rules) $("rule-list").append(new Option(r));
  $("model").addEventListener("change", onModelChanged);
  $("file").addEventListener("change", () => choose($("file").files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files.length) choose(e.dataTransfer.files[0]); });
  $("target").addEventListener("change", () => { state.target = $("target").value === "" ? null : Number($("target").value); explain(); });
  $("maxpool").addEventListener("change", explain);
  $("bias").addEventListener("change", explain);
  $("explain").addEventListener("click", explain);
  onModelChanged();
  showRuns(await api("/api/runs"));
}

// The folders of `relevance batch` given with --runs: per run its counts, and per target the mean heatmap of its inputs.
function showRuns(runs) {
  $("runs").hidden = runs.length === 0;
  const list = $("run-list");
  list.replaceChildren();
  for (const r of runs) {
    const section = document.createElement("div");
    section.className = "run";
    section.dataset.run = r.name;
    const h = document.createElement("h3");
    h.textContent = r.finished ? `${r.name}: ${r.explained} of ${r.inputs} explained, ${r.failed} failed` : `${r.name}: no summary.json yet (still running, or a shard: relevance merge writes it)`;
    const gallery = document.createElement("div");
    gallery.className = "gallery";
    for (const c of r.classes) {
      const figure = document.createElement("figure");
      if (c.heatmap) {
        const img = document.createElement("img");
        img.src = c.heatmap;
        img.alt = `mean heatmap of target ${c.target}`;
        figure.append(img);
      }
      const caption = document.createElement("figcaption");
      caption.textContent = `${c.target}${c.label ? ` ${c.label}` : ""}: ${c.count} input${c.count === 1 ? "" : "s"}, mean f ${fmt(c.meanF)}`;
      figure.append(caption);
      gallery.append(figure);
    }
    section.append(h, gallery);
    list.append(section);
  }
}

function model() { return state.models.find((m) => m.name === $("model").value); }

function onModelChanged() {
  const m = model();
  $("model-info").textContent = `input ${m.inputShape.join(" × ")}, ${m.outputs} outputs${m.labelled ? " with class names" : ""}`;
  $("target").max = m.outputs - 1;
  state.target = null;
  state.layers = null;
  if (!$("custom").hidden) loadLayers();
  explain();
}

function selected() { return [...$("composites").querySelectorAll("input:checked")].map((b) => b.value); }

function onCompositesChanged() {
  const custom = selected().includes("custom");
  $("custom").hidden = !custom;
  if (custom && !state.layers) loadLayers();
  else explain();
}

async function loadLayers() {
  try {
    const layers = await api(`/api/models/${encodeURIComponent($("model").value)}/layers?composite=dtd`);
    state.layers = layers;
    const body = $("custom-layers").tBodies[0];
    body.replaceChildren();
    for (const l of layers) {
      const row = body.insertRow();
      row.insertCell().textContent = l.node;
      row.insertCell().textContent = l.kind;
      const input = document.createElement("input");
      input.value = l.rule;
      input.dataset.node = l.node;
      input.setAttribute("list", "rule-list");
      input.addEventListener("change", explain);
      row.insertCell().append(input);
    }
    explain();
  } catch (e) {
    showError(e.message);
  }
}

function choose(file) {
  if (!file) return;
  state.file = file;
  state.target = null;
  $("target").value = "";
  $("explain").disabled = false;
  explain();
}

async function explain() {
  if (!state.file) return;
  const composites = selected();
  if (composites.length === 0) { showError("Choose at least one composite."); return; }
  const form = new FormData();
  form.append("model", $("model").value);
  form.append("file", state.file, state.file.name);
  if (state.target !== null) form.append("target", String(state.target));
  form.append("composites", composites.join(","));
  form.append("maxpool", $("maxpool").value);
  form.append("bias", $("bias").value);
  if (composites.includes("custom")) {
    const rules = {};
    for (const input of $("custom-layers").querySelectorAll("input")) rules[input.dataset.node] = input.value;
    form.append("custom", JSON.stringify(rules));
  }
  // A newer request replaces an older one; the server stops the older one's work between composites.
  if (state.busy) state.busy.abort();
  const controller = new AbortController();
  state.busy = controller;
  $("status").textContent = `Explaining ${state.file.name} with ${composites.length} composite${composites.length > 1 ? "s" : ""}…`;
  document.body.classList.add("busy");
  try {
    const result = await api("/api/explain", { method: "POST", body: form, signal: controller.signal });
    showError("");
    render(result);
    $("status").textContent = `${state.file.name}: output ${result.target} explained.`;
  } catch (e) {
    if (e.name === "AbortError") return;
    showError(e.message);
    $("status").textContent = "The last request failed.";
  } finally {
    if (state.busy === controller) { state.busy = null; document.body.classList.remove("busy"); }
  }
}

function render(result) {
  $("prediction").hidden = false;
  const input = $("input");
  input.hidden = !result.input;
  if (result.input) input.src = result.input;
  const top = $("top");
  top.replaceChildren();
  for (const t of result.top) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.index = t.index;
    button.textContent = `${t.index}${t.label ? ` ${t.label}` : ""}: ${fmt(t.value)}`;
    if (t.index === result.target) button.classList.add("chosen");
    button.addEventListener("click", () => { state.target = t.index; $("target").value = t.index; explain(); });
    item.append(button);
    top.append(item);
  }
  $("target").value = result.target;
  const cards = $("results");
  cards.replaceChildren();
  for (const e of result.explanations) cards.append(card(e));
  document.body.dataset.result = result.id;
}

function card(e) {
  const node = $("card").content.firstElementChild.cloneNode(true);
  node.dataset.composite = e.composite;
  node.querySelector("h3").textContent = e.title;
  const rules = node.querySelector(".rules");
  rules.textContent = e.description;
  rules.title = e.rules;
  node.querySelector(".heatmap").src = e.heatmap;
  const overlay = node.querySelector(".overlay");
  if (e.overlay) overlay.src = e.overlay; else overlay.remove();
  node.querySelector(".low").textContent = fmt(-e.scale);
  node.querySelector(".high").textContent = fmt(e.scale);
  const numbers = node.querySelector(".numbers");
  for (const [name, value] of [["f(x)", e.f], ["Σ R", e.relevanceSum], ["bias share", e.biasRelevance], ["f − Σ R − bias", e.conservationError],
    ["negative mass", e.negativeMass], ["seconds", e.seconds]]) {
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = fmt(value);
    numbers.append(dt, dd);
  }
  chart(node.querySelector(".chart"), e.layers);
  const downloads = node.querySelector(".downloads");
  for (const [label, url] of [["relevance .npy", e.npy], ["heatmap PNG", e.heatmap], ["overlay PNG", e.overlay], ["report JSON", e.report]]) {
    if (!url) continue;
    const a = document.createElement("a");
    a.href = url;
    a.download = "";
    a.textContent = label;
    downloads.append(a, " ");
  }
  return node;
}

// The per-layer consistency report: for each node in network order, the relevance reaching it, what its biases took, and the
// negative mass it passed down, on one scale.
function chart(svg, layers) {
  const ns = "http://www.w3.org/2000/svg";
  const width = 600, height = 160, middle = 120;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("aria-label", `relevance per layer over ${layers.length} layers`);
  const top = Math.max(1e-30, ...layers.map((l) => Math.max(Math.abs(l.relevanceIn), Math.abs(l.biasRelevance), Math.abs(l.negativeMass))));
  const step = width / Math.max(1, layers.length);
  const bar = (x, y, w, h, cls, title) => {
    const r = document.createElementNS(ns, "rect");
    r.setAttribute("x", x); r.setAttribute("y", y); r.setAttribute("width", Math.max(0.5, w)); r.setAttribute("height", Math.max(0, h));
    r.setAttribute("class", cls);
    const t = document.createElementNS(ns, "title");
    t.textContent = title;
    r.append(t);
    svg.append(r);
  };
  const axis = document.createElementNS(ns, "line");
  axis.setAttribute("x1", 0); axis.setAttribute("x2", width); axis.setAttribute("y1", middle); axis.setAttribute("y2", middle);
  axis.setAttribute("class", "axis");
  svg.append(axis);
  layers.forEach((l, i) => {
    const title = `${l.node} (${l.layer}, ${l.redistribution}): in ${fmt(l.relevanceIn)}, out ${fmt(l.relevanceOut)}, bias ${fmt(l.biasRelevance)}, negative mass ${fmt(l.negativeMass)}`;
    const hIn = Math.abs(l.relevanceIn) / top * (middle - 4);
    bar(i * step, middle - hIn, step * 0.8, hIn, l.relevanceIn >= 0 ? "in" : "in negative", title);
    const hBias = Math.abs(l.biasRelevance) / top * (middle - 4);
    if (hBias > 0) bar(i * step, middle - hBias, step * 0.4, hBias, "bias", title);
    const hNeg = Math.min(height - middle, Math.abs(l.negativeMass) / top * (middle - 4));
    if (hNeg > 0) bar(i * step, middle, step * 0.8, hNeg, "neg", title);
  });
}

start().catch((e) => showError(`The viewer could not start: ${e.message}`));
