// The classroom page: draws what Python counted (a "scene": one setting run on the towns, and
// the projection over all 20). Live (strikesim demo) it asks the server for the drawn town's
// scene, then for the projection (totals only) and, when the town slider moves, for that town.
// Exported (--export) it loads data files written beside it (each scene with every town and
// its projection), so it opens from file:// with no Python. Both show the same numbers.
"use strict";

const CAT = window.strikesimLoaded.catalogue;
const STATIC = CAT.static || null; // the exported grid, or null when served live
const PRESETS = STATIC ? STATIC.presets : Object.keys(CAT.presets);
const RES = 2; // figures are drawn at twice their size on screen: sharp on a projector
let Y_MAX = null; // the y-axis (city people), fixed at the first scene: settings never look alike
const FONT = 16; // px of every figure's text
const $ = (id) => document.getElementById(id);
const fmt = (n) => Math.round(n).toLocaleString("en-US");

const page = {
  settings: null, // the query the server understands: preset, sliders, endorsers
  scene: null,
  town: null, // the drawn town's picture (positions, kinds, ties)
  townIndex: 0,
  day: 0,
  pinned: null,
  bars: null,
  timer: null,
  request: 0,
};
window.strikesimPage = page; // for the browser tests

// ---- data: the server's API, or the exported scripts --------------------------------------
function loadScript(name) {
  if (window.strikesimLoaded[name]) return Promise.resolve(window.strikesimLoaded[name]);
  return new Promise((resolve, reject) => {
    const tag = document.createElement("script");
    tag.src = `data/${name}.js`;
    tag.onload = () => resolve(window.strikesimLoaded[name]);
    tag.onerror = () => reject(new Error(`missing data file data/${name}.js`));
    document.head.appendChild(tag);
  });
}

async function api(path) {
  const reply = await fetch(path);
  const body = await reply.json();
  if (!reply.ok) throw new Error(body.error || reply.statusText);
  return body;
}

// The exported grid (export.py): every preset changed in at most one control — a temperature
// stop (with the preset's endorsers or none), one organization switched, or no endorser.
function staticName(s) {
  const preset = CAT.presets[s.preset].settings;
  for (const name of Object.keys(CAT.sliders)) {
    if (name !== "temperature_f" && Number(s[name]) !== Number(preset[name])) return null;
  }
  const mine = new Set(s.endorsers.split(",").filter(Boolean));
  const theirs = new Set(preset.endorsers.split(",").filter(Boolean));
  const added = [...mine].filter((o) => !theirs.has(o));
  const dropped = [...theirs].filter((o) => !mine.has(o));
  const warmth = Number(s.temperature_f) !== Number(preset.temperature_f);
  let coalition;
  if (!added.length && !dropped.length) coalition = "preset";
  else if (!mine.size) coalition = "none";
  else if (warmth || added.length + dropped.length > 1) return null;
  else coalition = added.length ? `with-${added[0]}` : `without-${dropped[0]}`;
  if (!STATIC.temperatures.includes(Number(s.temperature_f))) return null;
  return `scene-${s.preset}-${Number(s.temperature_f)}-${coalition}`;
}

const query = (s) => new URLSearchParams(s).toString();
const fetchScene = (s, town) =>
  STATIC ? loadScript(staticName(s)) : api(`api/scene?${query({ ...s, town })}`);
const fetchProjection = (s) => api(`api/projection?${query(s)}`);
const fetchTown = (key) => (STATIC ? loadScript(`town-${key}`) : api(`api/town/${key}`));
const fetchBars = (s) => api(`api/bars?${query(s)}`);

// ---- controls ------------------------------------------------------------------------------
function buildControls() {
  for (const name of PRESETS) $("preset").add(new Option(CAT.presets[name].label, name));
  $("preset").addEventListener("change", () => {
    if ($("preset").value !== "custom") choose({ ...CAT.presets[$("preset").value].settings });
  });
  $("restore").addEventListener("click", () =>
    choose({ ...CAT.presets[page.settings.preset].settings })
  );
  for (const [org, name] of Object.entries(CAT.organizations)) {
    const label = document.createElement("label");
    label.className = "switch";
    label.innerHTML = `<input type="checkbox" value="${org}"> <span></span>`;
    label.querySelector("span").textContent = CAT.short_names[org];
    label.title = name;
    label.querySelector("input").addEventListener("change", (e) => {
      const chosen = [...document.querySelectorAll("#orgs input:checked")].map((i) => i.value);
      const preset = CAT.presets[page.settings.preset].settings;
      const alone = new Set(preset.endorsers.split(",").filter(Boolean)); // this switch alone
      if (e.target.checked) alone.add(org); else alone.delete(org);
      const roster = Object.keys(CAT.organizations).filter((o) => alone.has(o));
      choose({ ...page.settings, endorsers: chosen.join(",") },
        { ...preset, endorsers: roster.join(",") });
    });
    label.querySelector("input").disabled = Boolean(STATIC) && !STATIC.organizations.includes(org);
    $("orgs").appendChild(label);
  }
  for (const [name, s] of Object.entries(CAT.sliders)) {
    const label = document.createElement("label");
    label.className = "slider";
    label.innerHTML = `<span></span><input type="range" name="${name}">`;
    const input = label.querySelector("input");
    const stops = STATIC && name === "temperature_f" ? STATIC.temperatures : null;
    Object.assign(input, stops
      ? { min: 0, max: stops.length - 1, step: 1 }
      : { min: s.low, max: s.high, step: s.step });
    input.disabled = Boolean(STATIC) && !stops;
    const value = () => (stops ? stops[Number(input.value)] : Number(input.value));
    input.addEventListener("input", () => showSlider(name, value()));
    input.addEventListener("change", () => {
      const preset = CAT.presets[page.settings.preset].settings;
      const endorsers = page.settings.endorsers ? preset.endorsers : ""; // "no endorser" stays
      choose({ ...page.settings, [name]: String(value()) },
        { ...preset, endorsers, [name]: String(value()) });
    });
    $("sliders").appendChild(label);
  }
  const town = document.createElement("label");
  town.className = "slider";
  town.innerHTML = `<span id="town-value"></span><input type="range" id="town" min="0" step="1">`;
  $("sliders").appendChild(town);
  $("town").max = CAT.towns - 1;
  $("town").addEventListener("input", () => showTown(Number($("town").value)));
  if (STATIC) {
    $("no-endorser").hidden = false;
    $("no-endorser").querySelector("input").addEventListener("change", (e) => {
      const preset = CAT.presets[page.settings.preset].settings;
      const endorsers = e.target.checked ? "" : preset.endorsers;
      choose({ ...page.settings, endorsers }, { ...preset, endorsers });
    });
    $("static-note").hidden = false;
    $("static-note").textContent = STATIC_NOTE;
  }
  $("step").addEventListener("click", () => setDay(page.day + 1));
  $("reset").addEventListener("click", () => { stop(); setDay(0); });
  $("play").addEventListener("click", () => (page.timer ? stop() : play()));
  $("pin").addEventListener("click", pin);
  $("count").addEventListener("click", countBars);
}

const STATIC_NOTE =
  "Static copy: each preset changed in one control — the temperature (in steps of 20 °F and " +
  "the presets' own, with the preset's endorsers or none), one organization switched on or " +
  "off, or no endorser at all. Another change starts again from the preset. The other " +
  "sliders move on the live page (strikesim demo).";

function sliderText(name, v) {
  const s = CAT.sliders[name];
  if (s.unit === "%") return `${s.label} ${Math.round(v * 100)}%`;
  return `${s.label} ${Number(v)} ${s.unit}`.trim();
}

function showSlider(name, v) {
  const input = document.querySelector(`input[name="${name}"]`);
  input.previousElementSibling.textContent = sliderText(name, v);
}

function syncControls() {
  const s = page.settings;
  const custom = page.scene.custom;
  const select = $("preset");
  const customOption = select.querySelector('option[value="custom"]');
  if (custom && !customOption) select.add(new Option("custom", "custom"), 0);
  if (!custom && customOption) customOption.remove();
  select.value = custom ? "custom" : s.preset;
  $("label").textContent = page.scene.label;
  $("label").classList.toggle("custom", custom);
  $("restore").hidden = !custom;
  const chosen = new Set(s.endorsers.split(",").filter(Boolean));
  for (const input of document.querySelectorAll("#orgs input")) input.checked = chosen.has(input.value);
  if (STATIC) $("no-endorser").querySelector("input").checked = chosen.size === 0;
  for (const name of Object.keys(CAT.sliders)) {
    const input = document.querySelector(`input[name="${name}"]`);
    const stops = STATIC && name === "temperature_f" ? STATIC.temperatures : null;
    input.value = stops ? stops.indexOf(Number(s[name])) : s[name];
    showSlider(name, Number(s[name]));
  }
}

// ---- state changes -------------------------------------------------------------------------
// `alone`: the same control changed on the preset, for a static copy when `settings` is not
// in its grid (the page then says that it started again from the preset).
async function choose(settings, alone = settings) {
  const ticket = ++page.request; // a later choice wins over a slower earlier one
  let restarted = false;
  if (STATIC && !staticName(settings)) [settings, restarted] = [alone, true];
  try {
    const scene = await fetchScene(settings, page.townIndex);
    const key = scene.runs[page.townIndex].town;
    const town = page.town && page.town.key === key ? page.town : await fetchTown(key);
    if (ticket !== page.request) return;
    $("error").hidden = true;
    $("notice").hidden = !restarted;
    $("notice").textContent = restarted
      ? "This static copy changes one control at a time: started again from the preset." : "";
    page.settings = settings;
    page.scene = scene;
    page.town = town;
    page.bars = scene.bars || null;
    page.day = Math.min(page.day, scene.last_day); // same town, same day: a counterfactual
    Y_MAX ??= axisTop(scene);
    syncControls();
    render();
    if (scene.projection) return;
    const projection = await fetchProjection(settings);
    if (ticket === page.request) { page.scene.projection = projection; render(); }
  } catch (err) {
    if (ticket !== page.request) return;
    $("error").hidden = false;
    $("error").textContent = String(err.message || err);
    if (page.scene) syncControls(); // the controls show what is drawn, not the refused value
  }
}

// Draw town `index` once its run and picture are here (live, a town is asked for when drawn);
// until then the page keeps drawing the previous one.
async function showTown(index) {
  if (!page.scene) return; // the first scene is still on its way
  const ticket = page.request;
  try {
    const scene = page.scene;
    const run = scene.runs[index] || (await fetchScene(page.settings, index)).runs[index];
    const town = page.town.key === run.town ? page.town : await fetchTown(run.town);
    if (ticket !== page.request || Number($("town").value) !== index) return;
    scene.runs[index] = run;
    page.townIndex = index;
    page.town = town;
    render();
  } catch (err) {
    $("error").hidden = false;
    $("error").textContent = String(err.message || err);
  }
}

function setDay(day) {
  page.day = Math.max(0, Math.min(day, page.scene.last_day));
  render();
}

function play() {
  if (page.day >= page.scene.last_day) page.day = 0;
  $("play").textContent = "Pause";
  page.timer = setInterval(() => {
    if (page.day >= page.scene.last_day) return stop();
    setDay(page.day + 1);
  }, 700);
}

function stop() {
  clearInterval(page.timer);
  page.timer = null;
  $("play").textContent = "Play";
}

async function countBars() {
  const ticket = page.request;
  $("count").disabled = true;
  $("bars").textContent = `Counting: each endorser left out in turn, on ${CAT.towns} towns…`;
  try {
    const bars = await fetchBars(page.settings);
    if (ticket === page.request) page.bars = bars;
  } catch (err) {
    $("bars").textContent = String(err.message || err);
  }
  $("count").disabled = false;
  renderBars();
}

function pin() {
  const run = page.scene.runs[page.townIndex];
  page.pinned = {
    label: `${page.scene.label}, town ${page.townIndex + 1}`,
    marching: run.series.marching.map((v) => v * page.scene.city_factor),
    median: page.scene.projection ? page.scene.projection.median : null,
  };
  render();
}

// ---- what a day looks like -----------------------------------------------------------------
const run = () => page.scene.runs[page.townIndex];
const isActionDay = (d) => page.scene.action_days.includes(d);

function states(day) {
  const r = run();
  const marching = new Set(r.marching[day] || []);
  return r.commit_day.map((c, i) => {
    if (marching.has(i)) return 3;
    if (c >= 0 && c <= day) return 2;
    return r.reach_day[i] >= 0 && r.reach_day[i] <= day ? 1 : 0;
  });
}

function render() {
  const sc = page.scene;
  const last = sc.last_day;
  const kind = isActionDay(page.day) ? "strike day" : "campaign day";
  $("day").textContent = `Day ${page.day} of ${last} — ${kind}`;
  $("step").disabled = page.day >= last;
  $("town").value = page.townIndex;
  $("town-value").textContent = `Town ${page.townIndex + 1} of ${CAT.towns} (seed ${page.townIndex})`;
  const date = new Date(`${sc.scenario.date}T12:00:00`).toLocaleDateString("en-GB",
    { day: "numeric", month: "short", year: "numeric" });
  const p = sc.projection;
  $("median").textContent = p ? fmt(p.median) : "…";
  $("observed").textContent = `observed ~${fmt(sc.scenario.observed)} (${date})`;
  $("range").textContent = (p
    ? `median of ${CAT.towns} towns of ${fmt(sc.town_people)} people; range ` +
      `${fmt(p.low)}–${fmt(p.high)}.`
    : `counting ${CAT.towns} towns of ${fmt(sc.town_people)} people…`) +
    ` Published estimates: ${fmt(sc.scenario.low)}–${fmt(sc.scenario.high)}.`;
  const today = run().series.marching[page.day] * sc.city_factor;
  const when = isActionDay(page.day) ? "on the strike day" : `if the strike were today (day ${page.day})`;
  $("town-line").innerHTML =
    `The town drawn (town ${page.townIndex + 1}): <b id="town-counter">${fmt(today)}</b> ` +
    `${when}, i.e. its ${fmt(run().series.marching[page.day])} marchers × ` +
    `${fmt(sc.city_factor)} (${fmt(sc.scenario.reference_population)} people / ${fmt(sc.town_people)}).`;
  drawNetwork();
  drawStrip();
  drawChart();
  renderWhy();
  renderBars();
  renderExplanation();
}

// ---- figures -------------------------------------------------------------------------------
// The axis is set once, from the first scene and the record, and then kept for the session:
// a pinned run and the next one are read on the same scale. Higher values are clipped.
function axisTop(scene) {
  const run = Object.values(scene.runs)[0];
  const drawn = Math.max(...Object.values(run.series).flat()) * scene.city_factor;
  const top = Math.max(2.4 * scene.scenario.high, 1.25 * drawn);
  const unit = 10 ** Math.floor(Math.log10(top / 4));
  return Math.ceil(top / 4 / unit) * unit * 4; // four equal, round steps
}

const kilo = (v) => (v === 0 ? "0" : v >= 1e6 ? `${v / 1e6}M` : `${v / 1000}k`);

function sized(canvas) {
  const box = canvas.getBoundingClientRect();
  canvas.width = Math.max(1, Math.round(box.width * RES));
  canvas.height = Math.max(1, Math.round(box.height * RES));
  const ctx = canvas.getContext("2d");
  ctx.setTransform(RES, 0, 0, RES, 0, 0);
  ctx.font = `${FONT}px system-ui, "DejaVu Sans", sans-serif`;
  return [ctx, box.width, box.height];
}

function shape(ctx, kind, x, y, r) {
  ctx.beginPath();
  if (kind === 0) ctx.arc(x, y, r, 0, 2 * Math.PI); // worker: circle
  else if (kind === 1) { // student: triangle
    ctx.moveTo(x, y - r * 1.25); ctx.lineTo(x + r * 1.15, y + r * 0.8); ctx.lineTo(x - r * 1.15, y + r * 0.8);
  } else { // other resident: diamond
    ctx.moveTo(x, y - r * 1.2); ctx.lineTo(x + r * 1.1, y); ctx.lineTo(x, y + r * 1.2); ctx.lineTo(x - r * 1.1, y);
  }
  ctx.closePath();
}

function drawNetwork() {
  const [ctx, w, h] = sized($("network"));
  const t = page.town;
  const pad = 12;
  const px = (i) => pad + (t.x[i] / 1000) * (w - 2 * pad);
  const py = (i) => pad + (t.y[i] / 1000) * (h - 2 * pad);
  ctx.lineWidth = 0.5;
  ctx.strokeStyle = "rgba(120,120,120,0.25)";
  ctx.beginPath();
  for (let e = 0; e < t.edges.length; e += 2) {
    ctx.moveTo(px(t.edges[e]), py(t.edges[e])); ctx.lineTo(px(t.edges[e + 1]), py(t.edges[e + 1]));
  }
  ctx.stroke();
  const r = run();
  const today = r.commit_day.map((c) => c === page.day);
  // who tipped whom: today's new committers' ties to people committed before today
  ctx.lineWidth = 1.6;
  ctx.strokeStyle = "#000";
  ctx.beginPath();
  for (let e = 0; e < t.edges.length; e += 2) {
    const [a, b] = [t.edges[e], t.edges[e + 1]];
    const before = (i) => r.commit_day[i] >= 0 && r.commit_day[i] < page.day;
    if ((today[a] && before(b)) || (today[b] && before(a))) {
      ctx.moveTo(px(a), py(a)); ctx.lineTo(px(b), py(b));
    }
  }
  ctx.stroke();
  const colours = Object.values(CAT.states);
  const outlines = Object.values(CAT.outlines);
  const st = states(page.day);
  const radius = Math.max(3.5, Math.min(w, h) / 110);
  st.forEach((s, i) => {
    shape(ctx, t.kind[i], px(i), py(i), radius);
    ctx.fillStyle = colours[s];
    ctx.fill();
    ctx.lineWidth = t.member[i] ? 1.6 : 0.6;
    ctx.strokeStyle = t.member[i] ? outlines[t.member[i] - 1] : "#555";
    ctx.stroke();
    if (today[i]) { // committed today: a thick ring
      ctx.beginPath(); ctx.arc(px(i), py(i), radius * 2, 0, 2 * Math.PI);
      ctx.lineWidth = 2.5; ctx.strokeStyle = "#000"; ctx.stroke();
    }
  });
  const counts = [0, 0, 0, 0];
  st.forEach((s) => counts[s]++);
  const swatch = (c, text, border = "#000") => `<span><i style="background:${c};border-color:${border}"></i>${text}</span>`;
  $("network-legend").innerHTML =
    Object.entries(CAT.states).map(([name, c], k) => swatch(c, `${name} ${counts[k]}`)).join("") +
    "<span>● worker ▲ student ◆ other resident</span>" +
    Object.entries(CAT.outlines).map(([name, c]) => swatch("#fff", `${name} (outline)`, c)).join("") +
    "<span>◯ committed today; black ties: who they followed</span>";
}

function drawStrip() {
  const [ctx, w, h] = sized($("strip"));
  const sc = page.scene;
  const x = (v) => 10 + (Math.min(v, Y_MAX) / Y_MAX) * (w - 20);
  const mid = h * 0.4;
  ctx.fillStyle = "rgba(0,158,115,0.25)";
  ctx.fillRect(x(sc.scenario.low), 2, x(sc.scenario.high) - x(sc.scenario.low), h * 0.7);
  ctx.fillStyle = CAT.observed_colour;
  ctx.fillRect(x(sc.scenario.observed) - 1.5, 2, 3, h * 0.7);
  if (!sc.projection) return;
  sc.projection.towns.forEach((v, i) => {
    const drawn = i === page.townIndex;
    ctx.beginPath();
    ctx.arc(x(v), mid, drawn ? 9 : 5, 0, 2 * Math.PI);
    ctx.fillStyle = drawn ? "#d55e00" : "rgba(0,0,0,0.55)";
    ctx.fill();
  });
  ctx.fillStyle = "#000";
  ctx.fillRect(x(sc.projection.median) - 1.5, mid - 14, 3, 28);
  ctx.fillStyle = "#111";
  ctx.textBaseline = "bottom";
  for (let k = 0; k <= 4; k++) {
    const v = (k * Y_MAX) / 4;
    ctx.textAlign = k === 0 ? "left" : k === 4 ? "right" : "center";
    ctx.fillText(kilo(v), x(v), h);
  }
}

function drawChart() {
  const canvas = $("chart");
  const [ctx, w, h] = sized(canvas);
  const sc = page.scene;
  const r = run();
  const last = sc.last_day;
  const left = 62, right = 12, top = 10, bottom = 44;
  const x = (d) => left + (d / last) * (w - left - right);
  const y = (v) => top + (1 - Math.min(v, Y_MAX) / Y_MAX) * (h - top - bottom);
  canvas.dataset.yMax = String(Y_MAX);
  ctx.fillStyle = "rgba(0,158,115,0.18)"; // the published range
  ctx.fillRect(left, y(sc.scenario.high), w - left - right, y(sc.scenario.low) - y(sc.scenario.high));
  ctx.strokeStyle = CAT.observed_colour; ctx.lineWidth = 2; ctx.setLineDash([6, 4]);
  line(ctx, [[left, y(sc.scenario.observed)], [w - right, y(sc.scenario.observed)]]);
  ctx.setLineDash([]);
  ctx.fillStyle = "#111"; ctx.strokeStyle = "#bbb"; ctx.lineWidth = 1;
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (let k = 0; k <= 4; k++) {
    const v = (k * Y_MAX) / 4;
    line(ctx, [[left, y(v)], [w - right, y(v)]]);
    ctx.fillText(kilo(v), left - 6, y(v));
  }
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  const every = last > 30 ? 10 : 5; // integer days only, and the last day
  const ticks = [...Array(last + 1).keys()].filter((d) => d % every === 0 || d === last);
  if (last - ticks[ticks.length - 2] < every / 2) ticks.splice(ticks.length - 2, 1); // no overlap
  for (const d of ticks) ctx.fillText(String(d), x(d), h - bottom + 6);
  canvas.dataset.xTicks = ticks.join(",");
  ctx.fillText("day", (left + w - right) / 2, h - 20);
  ctx.strokeStyle = "#000"; ctx.lineWidth = 2;
  line(ctx, [[x(page.day), top], [x(page.day), h - bottom]]);
  if (page.pinned) {
    ctx.strokeStyle = "#000"; ctx.lineWidth = 2.5; ctx.setLineDash([8, 5]);
    line(ctx, page.pinned.marching.slice(0, last + 1).map((v, d) => [x(d), y(v)]));
    ctx.setLineDash([]);
  }
  for (const [form, colour] of Object.entries(CAT.forms)) {
    ctx.strokeStyle = colour; ctx.lineWidth = 3;
    line(ctx, r.series[form].slice(0, page.day + 1).map((v, d) => [x(d), y(v * sc.city_factor)]));
  }
  const swatch = (c, text, dashed) =>
    `<span><i style="background:${dashed ? "#fff" : c};border:2px ${dashed ? "dashed" : "solid"} ${c}"></i>${text}</span>`;
  const names = { striking: "striking (workers)", walkouts: "walkouts (students)", marching: "marching, if the strike were that day" };
  $("chart-legend").innerHTML =
    "<span><b>Whole metro, projected from the town drawn</b></span>" +
    Object.entries(CAT.forms).map(([f, c]) => swatch(c, names[f])).join("") +
    swatch(CAT.observed_colour, `observed ~${fmt(sc.scenario.observed)} (band: published range)`, true) +
    (page.pinned ? swatch("#000", `<span id="pinned">pinned: ${escape(page.pinned.label)} — marching ${fmt(page.pinned.marching[page.pinned.marching.length - 1])}${page.pinned.median === null ? "" : `, median ${fmt(page.pinned.median)}`}</span>`, true) : "");
}

function line(ctx, points) {
  ctx.beginPath();
  points.forEach(([px, py], k) => (k ? ctx.lineTo(px, py) : ctx.moveTo(px, py)));
  ctx.stroke();
}

const escape = (text) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

// ---- why -----------------------------------------------------------------------------------
const CHANNEL_WORDS = {
  organizer: "day-0 organizers",
  contact: "through a contact (committed friends, family, co-workers or classmates)",
  union: "through their union (its call had reached them)",
  congregation: "through their congregation (its faith group's call had reached them)",
  school: "through their school or campus (the walkout call had reached them)",
  organization: "through another organization (a community or civic group's call)",
  news: "from the news alone (the city's visible momentum)",
};

function renderWhy() {
  const r = run();
  const counts = Object.fromEntries(CAT.channels.map((c) => [c, 0]));
  r.commit_day.forEach((c, i) => { if (c === page.day) counts[CAT.channels[r.channel[i]]]++; });
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const organizers = r.commit_day.filter((c) => c === 0);
  const byKind = organizerKinds(r);
  const share = (100 * page.scene.organizer_share).toLocaleString("en-US", { maximumFractionDigits: 2 });
  const lines = CAT.channels.filter((c) => counts[c] > 0)
    .map((c) => `<li><b>${counts[c]}</b> ${CHANNEL_WORDS[c]}</li>`).join("");
  const head = page.day === 0
    ? `<b>Why, day 0:</b> ${organizers.length} people are committed before any call`
    : `<b>Why, day ${page.day}:</b> ${total} ${total === 1 ? "person" : "people"} committed today`;
  $("why").innerHTML = `<div id="why-today">${head}${total ? ":" : "."}</div><ul>${lines}</ul>` +
    `<div id="organizers">Day-0 organizers in this town: <b>${organizers.length}</b> ` +
    `(${byKind}) — activists drawn at random, ${share}% of people ` +
    `(<code>behavior.activist_share</code>), committed from the start whoever endorses.</div>`;
}

function organizerKinds(r) {
  const counts = [0, 0, 0];
  r.commit_day.forEach((c, i) => { if (c === 0) counts[page.town.kind[i]]++; });
  const words = ["worker", "student", "other resident"];
  return counts.map((n, k) => (n ? `${n} ${words[k]}${n === 1 ? "" : "s"}` : "")).filter(Boolean).join(", ") || "none";
}

function renderBars() {
  const bars = page.bars;
  if (!page.scene.settings.endorsers) {
    $("bars").textContent = "No endorser: nobody to credit.";
    return;
  }
  $("count").hidden = Boolean(STATIC) || Boolean(bars);
  if (!bars) {
    $("bars").textContent = "Press Count: each endorser is left out in turn, on every town " +
      "(a second or two).";
    return;
  }
  const top = Math.max(1, ...bars.map((b) => Math.abs(b.brought)));
  $("bars").innerHTML =
    `<p class="note">Whole metro on the strike day: all endorsers minus the same without this one, mean over ${CAT.towns} towns.</p>` +
    bars.map((b) => `<div class="bar-row" data-org="${b.org}"><span title="${escape(b.name)}">${escape(b.name)}</span>` +
      `<span><div class="bar-fill" style="width:${(100 * Math.max(0, b.brought)) / top}%"></div></span>` +
      `<span class="value">${fmt(b.brought)}</span></div>`).join("");
}

function renderExplanation() {
  $("explanation").innerHTML =
    "<b>What you are seeing.</b> Each dot is a person in a town of 1,000: a sample of the " +
    "seven-county Twin Cities metro, where the marchers came from, with its mix " +
    "of workers (●), students (▲) and other residents (◆); lines are ties of household, work, " +
    "school, congregation and friendship. Black outlines: union members; purple: congregants. " +
    "A person turns <b>blue</b> once an endorsing organization's call reaches them, " +
    "<b>orange</b> once enough of their contacts have committed (their threshold), and on the " +
    "strike day committed people march (<b>vermillion</b>) — fewer in the cold. A town of " +
    `1,000 is a lottery, so the big number is the median over ${CAT.towns} towns (the dots ` +
    "under it; the big one is the town drawn), scaled per capita to the metro's " +
    `${fmt(page.scene.scenario.reference_population)} people. Moving a control reruns every ` +
    "town with the new setting and keeps the day: same people, same ties, only the setting " +
    "differs. The model runs with its central settings, not its calibrated predictions.";
}

buildControls();
window.addEventListener("resize", () => page.scene && render());
const first = { ...CAT.presets[PRESETS.includes(CAT.default_preset) ? CAT.default_preset : PRESETS[0]].settings };
choose(first);
