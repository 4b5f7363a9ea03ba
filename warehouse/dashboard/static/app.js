"use strict";
// The dashboard's pages: one HTML file, routed by path (/, /sky, /browse, /subject/<id>), each
// page asking the server's JSON API and drawing with plotly.js. No outside assets.

const $ = (id) => document.getElementById(id);
const palette = ["#3b6fd8", "#e07b39", "#3aa675", "#c44e8a", "#8a6bd1", "#999f2e", "#4bb3c4"];
const plotConfig = { displaylogo: false, responsive: true };
const baseLayout = {
  margin: { l: 56, r: 16, t: 36, b: 48 },
  font: { family: "system-ui, sans-serif", size: 12, color: "#1d2433" },
  paper_bgcolor: "#fff",
  plot_bgcolor: "#fff",
  legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" },
  hoverlabel: { namelength: -1 },
};
const SKY_SVG_LIMIT = 20000; // above this many points the sky map draws with WebGL

function layout(extra) {
  return Object.assign({}, baseLayout, extra);
}

async function api(path, params) {
  const query = params ? "?" + new URLSearchParams(params).toString() : "";
  const response = await fetch(path + query);
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error || `${path}: HTTP ${response.status}`);
  }
  return response.json();
}

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// Only web addresses become links or images: a subject's locations come from the API, and a
// `javascript:` address in one must never run.
const webUrl = (url) => (typeof url === "string" && /^https?:\/\//i.test(url) ? url : null);
const number = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en"));
const fraction = (f, digits = 2) => (f === null || f === undefined ? "–" : Number(f).toFixed(digits));
const percent = (f) => (f === null || f === undefined ? "–" : (100 * f).toFixed(1) + "%");

function plot(id, traces, extraLayout) {
  return Plotly.react($(id), traces, layout(extraLayout), plotConfig);
}

function emptyChart(id, text) {
  return plot(id, [], {
    xaxis: { visible: false },
    yaxis: { visible: false },
    annotations: [{ text, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }],
  });
}

// ---- the project, its workflows and the page frame ------------------------------------------

let summary = null;

function projectName() {
  if (summary.project_name) return summary.project_name;
  if (summary.project_ids.length) return `Project ${summary.project_ids.join(", ")}`;
  return "Classification dashboard";
}

function workflowName(workflowId) {
  const workflow = summary.workflows.find((w) => w.workflow_id === workflowId);
  return workflow && workflow.workflow_name ? workflow.workflow_name : `workflow ${workflowId}`;
}

function retirementRule(workflow) {
  if (!workflow.retirement_criteria) return "no retirement rule landed";
  if (workflow.retirement_criteria === "classification_count") {
    return `retire at ${number(workflow.retirement_count)} classifications`;
  }
  return workflow.retirement_criteria.replaceAll("_", " ");
}

function retirementText(workflow) {
  if (workflow.retirement_source === "panoptes") {
    return `${number(workflow.retired_subjects)} retired (Panoptes' subject workflow statuses)`;
  }
  if (workflow.retirement_source === "rule") {
    return `${number(workflow.retired_subjects)} reached the rule (no Panoptes statuses landed)`;
  }
  return "retirement unknown";
}

async function loadFrame(pageTitle) {
  summary = await api("/api/summary");
  const name = projectName();
  $("project-name").textContent = name;
  document.title = `${pageTitle} · ${name}`;
  $("published").textContent = summary.published_at
    ? `marts published ${summary.published_at}`
    : "no marts published yet: run dbt build";
}

function markCurrent(page) {
  for (const link of document.querySelectorAll("nav a")) {
    link.classList.toggle("current", link.dataset.page === page);
  }
}

function showPage(id) {
  for (const page of document.querySelectorAll("main.page")) page.hidden = page.id !== id;
  markCurrent(id);
}

function setupSearch() {
  const input = $("search");
  const list = $("search-results");
  let latest = 0;
  input.addEventListener("input", async () => {
    const asked = ++latest;
    const text = input.value.trim();
    if (!text) {
      list.hidden = true;
      return;
    }
    const found = await api("/api/subjects", { search: text });
    if (asked !== latest) return;
    list.replaceChildren(
      ...found.map((s) =>
        el("li", {}, el("a", { href: `/subject/${s.subject_id}`, text: `${s.iauname || "(no name)"} · ${s.subject_id}` })),
      ),
    );
    list.hidden = found.length === 0;
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const first = list.querySelector("a");
    if (first) window.location.href = first.getAttribute("href");
  });
}

// ---- overview --------------------------------------------------------------------------------

function drawWorkflows() {
  const totals = [
    ["subjects", summary.subjects],
    ["classifications", summary.classifications],
    ["volunteers", summary.volunteers],
  ];
  $("cards").replaceChildren(
    ...totals.map(([label, value]) => el("span", { class: "card" }, el("b", { text: number(value) }), label)),
  );
  const head = el(
    "tr",
    {},
    ...["workflow", "version", "retirement rule", "subjects", "classifications", "retired"].map((h, i) =>
      el("th", { class: i >= 3 ? "num" : null, text: h }),
    ),
  );
  const rows = summary.workflows.map((w) =>
    el(
      "tr",
      {},
      el("td", { text: `${w.workflow_name || "workflow"} (${w.workflow_id})${w.active === false ? ", inactive" : ""}` }),
      el("td", { text: w.workflow_version || "–" }),
      el("td", { text: retirementRule(w) }),
      el("td", { class: "num", text: number(w.subjects) }),
      el("td", { class: "num", text: number(w.classifications) }),
      el("td", { class: "num", text: retirementText(w) }),
    ),
  );
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 6, text: "no workflow landed yet" })));
  $("workflows").replaceChildren(head, ...rows);
}

function byWorkflow(rows) {
  const groups = new Map();
  for (const row of rows) {
    if (!groups.has(row.workflow_id)) groups.set(row.workflow_id, []);
    groups.get(row.workflow_id).push(row);
  }
  return groups;
}

async function drawActivity() {
  const rows = await api("/api/activity", { bucket: $("bucket").value });
  if (!rows.length) return emptyChart("activity-chart", "no classifications yet");
  const traces = [...byWorkflow(rows)].map(([workflowId, series], i) => ({
    type: "bar",
    name: workflowName(workflowId),
    x: series.map((r) => r.period),
    y: series.map((r) => r.classifications),
    marker: { color: palette[i % palette.length] },
  }));
  return plot("activity-chart", traces, { barmode: "stack", yaxis: { title: { text: "classifications" } } });
}

// The mean over the `days` calendar days up to each day (days without a row count 0).
function rollingMean(rows, key, days) {
  const byDay = new Map(rows.map((r) => [r.classified_on, r[key]]));
  const first = new Date(rows[0].classified_on + "T00:00:00Z");
  const last = new Date(rows[rows.length - 1].classified_on + "T00:00:00Z");
  const x = [];
  const y = [];
  const window = [];
  let sum = 0;
  for (let day = first; day <= last; day = new Date(day.getTime() + 86400000)) {
    const name = day.toISOString().slice(0, 10);
    const value = byDay.get(name) || 0;
    window.push(value);
    sum += value;
    if (window.length > days) sum -= window.shift();
    x.push(name);
    y.push(sum / window.length);
  }
  return { x, y };
}

const VOLUNTEER_WINDOW = 7;

async function drawVolunteerActivity() {
  const rows = await api("/api/volunteer-activity");
  if (!rows.length) return emptyChart("volunteer-activity-chart", "no volunteer activity published");
  const traces = [];
  [...byWorkflow(rows)].forEach(([workflowId, series], i) => {
    const color = palette[(2 * i) % palette.length];
    const name = workflowName(workflowId);
    traces.push({
      type: "scatter", mode: "lines", name: `${name}: active volunteers`, line: { color, width: 1.5 },
      ...rollingMean(series, "volunteers", VOLUNTEER_WINDOW),
      hovertemplate: "%{x}: %{y:.1f} volunteers a day<extra></extra>",
    });
    traces.push({
      type: "scatter", mode: "lines", name: `${name}: new volunteers`, line: { color: palette[(2 * i + 1) % palette.length], width: 1.5 },
      ...rollingMean(series, "new_volunteers", VOLUNTEER_WINDOW),
      hovertemplate: "%{x}: %{y:.2f} new volunteers a day<extra></extra>",
    });
  });
  return plot("volunteer-activity-chart", traces, {
    yaxis: { title: { text: `logged-in volunteers a day (${VOLUNTEER_WINDOW}-day mean)` }, rangemode: "tozero" },
  });
}

async function drawVolunteers() {
  const bins = await api("/api/volunteers");
  if (!bins.length) return emptyChart("volunteers-chart", "no logged-in volunteers yet");
  const labels = bins.map((b) => (b.fewest === b.most ? `${b.fewest}` : `${b.fewest}–${b.most}`));
  const total = bins.reduce((sum, b) => sum + b.classifications, 0);
  return plot(
    "volunteers-chart",
    [
      {
        type: "bar", name: "volunteers", x: labels, y: bins.map((b) => b.volunteers),
        marker: { color: palette[0] },
        hovertemplate: "%{y} volunteers made %{x} classifications each<extra></extra>",
      },
      {
        type: "scatter", mode: "lines+markers", name: "share of all classifications", yaxis: "y2",
        x: labels, y: bins.map((b) => b.classifications / total), line: { color: palette[1] },
        hovertemplate: "%{y:.1%} of all classifications<extra></extra>",
      },
    ],
    {
      xaxis: { title: { text: "classifications per volunteer" }, type: "category" },
      yaxis: { title: { text: "volunteers" } },
      yaxis2: { overlaying: "y", side: "right", tickformat: ".0%", rangemode: "tozero", showgrid: false },
    },
  );
}

let retirementRows = [];

async function loadRetirement() {
  retirementRows = await api("/api/retirement");
  const workflows = [...new Set(retirementRows.map((r) => r.workflow_id))];
  $("retirement-workflow").replaceChildren(
    ...workflows.map((id) => el("option", { value: id, text: workflowName(id) })),
  );
  drawRetirement();
}

function drawRetirement() {
  const workflowId = Number($("retirement-workflow").value);
  const rows = retirementRows.filter((r) => r.workflow_id === workflowId);
  const workflow = summary.workflows.find((w) => w.workflow_id === workflowId) || {};
  let note = `${retirementRule(workflow)}; `;
  if (workflow.retirement_source === "panoptes") {
    note += "retired as Panoptes reports it (its subject workflow statuses)";
    if (summary.workflows.length > 1) note += "; a subject retired in any workflow shows as retired";
  }
  else if (workflow.retirement_source === "rule") note += "no Panoptes statuses landed: retired = reached the workflow's rule";
  else note += "neither a rule nor Panoptes statuses landed: retirement is not shown";
  $("retirement-note").textContent = note;
  if (!rows.length) return emptyChart("retirement-chart", "no classified subjects yet");
  const x = rows.map((r) => r.classifications);
  const shapes = workflow.retirement_count
    ? [{ type: "line", x0: workflow.retirement_count - 0.5, x1: workflow.retirement_count - 0.5, yref: "paper", y0: 0, y1: 1, line: { dash: "dash", color: "#888" } }]
    : [];
  return plot(
    "retirement-chart",
    [
      { type: "bar", name: "not retired", x, y: rows.map((r) => r.subjects - r.retired), marker: { color: palette[0] } },
      { type: "bar", name: "retired", x, y: rows.map((r) => r.retired), marker: { color: palette[2] } },
    ],
    {
      barmode: "stack", shapes,
      xaxis: { title: { text: "classifications of the workflow (last bar: that many or more)" } },
      yaxis: { title: { text: "subjects" } },
    },
  );
}

let schemaQuestions = {};

async function questionsOf(schema) {
  if (!schemaQuestions[schema]) schemaQuestions[schema] = await api("/api/questions", { schema });
  return schemaQuestions[schema];
}

function fillSelect(select, options, selected) {
  select.replaceChildren(...options.map(([value, text]) => el("option", { value, text })));
  if (selected !== undefined && options.some(([value]) => value === selected)) select.value = selected;
}

async function loadFractionQuestions() {
  const questions = await questionsOf($("fraction-schema").value);
  fillSelect($("fraction-question"), questions.map((q) => [q.question, q.question]));
  await drawFractions();
}

async function drawFractions() {
  const schema = $("fraction-schema").value;
  const name = $("fraction-question").value;
  const question = (await questionsOf(schema)).find((q) => q.question === name);
  $("fraction-question-text").textContent = question ? `“${question.question_text}”` : "";
  const histogram = await api("/api/fractions", { schema, question: name });
  if (!histogram.length) return emptyChart("fractions-chart", "no votes on this question yet");
  const bins = histogram[0].counts.length;
  const centres = [...Array(bins).keys()].map((i) => (i + 0.5) / bins);
  const traces = histogram.map((h, i) => {
    const index = question ? question.answers.indexOf(h.answer) : -1;
    const label = index >= 0 ? question.answer_texts[index] : h.answer;
    return {
      type: "bar", name: label, x: centres, y: h.counts, xaxis: `x${i + 1}`, yaxis: `y${i + 1}`,
      marker: { color: palette[i % palette.length] }, width: 1 / bins,
      hovertemplate: `${label}: %{y} subjects with a fraction near %{x:.2f}<extra></extra>`,
    };
  });
  const axes = {};
  traces.forEach((t, i) => {
    axes[`xaxis${i + 1}`] = { range: [0, 1], title: { text: t.name }, tickformat: ".1f" };
    axes[`yaxis${i + 1}`] = { rangemode: "tozero", title: { text: i === 0 ? "subjects" : "" } };
  });
  return plot("fractions-chart", traces, {
    ...axes, showlegend: false,
    grid: { rows: 1, columns: traces.length, pattern: "independent", xgap: 0.12 },
    margin: { l: 56, r: 16, t: 12, b: 56 },
  });
}

let accountingRows = [];

async function loadAccounting() {
  accountingRows = await api("/api/accounting");
  const schemas = [...new Set(accountingRows.map((r) => r.schema_name))];
  fillSelect($("accounting-schema"), schemas.map((s) => [s, s]));
  drawAccounting();
}

function drawAccounting() {
  const rows = accountingRows.filter((r) => r.schema_name === $("accounting-schema").value);
  if (!rows.length) return emptyChart("accounting-chart", "no annotation accounted yet");
  const total = rows.reduce((sum, r) => sum + r.annotations, 0);
  const labels = rows.map((r) => (r.outcome_detail ? `${r.outcome}: ${r.outcome_detail}` : r.outcome));
  return plot(
    "accounting-chart",
    [{
      type: "bar", orientation: "h", x: rows.map((r) => r.annotations), y: labels,
      marker: { color: rows.map((r) => (r.outcome === "counted" ? palette[2] : palette[1])) },
      text: rows.map((r) => `${number(r.annotations)} (${percent(r.annotations / total)})`),
      textposition: "auto", hovertemplate: "%{y}: %{x} annotations<extra></extra>",
    }],
    {
      height: 60 + 28 * rows.length, yaxis: { autorange: "reversed", automargin: true },
      xaxis: { type: "log", title: { text: `annotations (${number(total)} in all)` } },
    },
  );
}

async function drawReplay() {
  const rules = await api("/api/retirement-replay");
  if (!rules.length) {
    $("replay-table").replaceChildren();
    return emptyChart("replay-chart", "no retirement rule seeded (seeds/retirement_rules.csv)");
  }
  const names = rules.map((r) => `${r.rule_name} (${workflowName(r.workflow_id)})`);
  await plot(
    "replay-chart",
    [
      { type: "bar", name: "subjects retired", x: names, y: rules.map((r) => r.subjects_retired / r.subjects), marker: { color: palette[2] } },
      { type: "bar", name: "classifications saved", x: names, y: rules.map((r) => r.share_saved), marker: { color: palette[0] } },
      { type: "bar", name: "leading answer changed after retirement", x: names, y: rules.map((r) => r.share_leading_answer_changed), marker: { color: palette[1] } },
    ],
    { barmode: "group", yaxis: { tickformat: ".0%", range: [0, 1] } },
  );
  const columns = [
    ["rule", (r) => r.rule_name],
    ["workflow", (r) => workflowName(r.workflow_id)],
    ["kind", (r) => r.kind],
    ["question / answer", (r) => [r.question, r.answer].filter(Boolean).join(" / ") || "–"],
    ["threshold", (r) => (r.threshold === null ? "–" : String(r.threshold))],
    ["subjects retired", (r) => `${number(r.subjects_retired)} of ${number(r.subjects)}`],
    ["classifications saved", (r) => `${number(r.classifications_saved)} (${percent(r.share_saved)})`],
    ["fraction change median / p90", (r) => `${fraction(r.median_fraction_change, 3)} / ${fraction(r.p90_fraction_change, 3)}`],
    ["leading answer changed", (r) => percent(r.share_leading_answer_changed)],
  ];
  $("replay-table").replaceChildren(
    el("tr", {}, ...columns.map(([h]) => el("th", { text: h }))),
    ...rules.map((r) => el("tr", {}, ...columns.map(([, cell]) => el("td", { text: cell(r) })))),
  );
}

async function showOverview() {
  showPage("overview");
  await loadFrame("Overview");
  drawWorkflows();
  const schemas = summary.schemas.map((s) => [s, s]);
  fillSelect($("fraction-schema"), schemas);
  await Promise.all([
    drawActivity(), drawVolunteerActivity(), drawVolunteers(), loadRetirement(),
    loadFractionQuestions(), loadAccounting(), drawReplay(),
  ]);
  $("bucket").onchange = drawActivity;
  $("retirement-workflow").onchange = drawRetirement;
  $("fraction-schema").onchange = loadFractionQuestions;
  $("fraction-question").onchange = drawFractions;
  $("accounting-schema").onchange = drawAccounting;
}

// ---- the selection shared by the sky map and the subject browser ------------------------------

function selectionFields(form, extra) {
  const field = (label, control) => el("label", {}, label, control);
  form.replaceChildren(
    field("schema", el("select", { name: "schema" })),
    field("question", el("select", { name: "question" })),
    field("answer", el("select", { name: "answer" })),
    field("at least this many votes on the question", el("input", { name: "min_votes", type: "number", min: 0, value: 0 })),
    ...extra.map(([label, control]) => field(label, control)),
  );
}

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

// Fill the schema, question and answer selects from the URL (or the first of each), keeping
// the dependent selects in step, and call `changed` with the values on every change.
async function setupSelection(form, changed) {
  const url = new URLSearchParams(window.location.search);
  const { schema, question, answer, min_votes: minVotes } = form.elements;
  fillSelect(schema, summary.schemas.map((s) => [s, s]), url.get("schema"));
  for (const name of ["sort", "order"]) {
    if (form.elements[name] && url.get(name)) form.elements[name].value = url.get(name);
  }
  if (url.get("min_votes")) minVotes.value = url.get("min_votes");
  const fillQuestions = async (wanted) => {
    const questions = await questionsOf(schema.value);
    fillSelect(question, questions.map((q) => [q.question, q.question_text ? `${q.question}: ${q.question_text}` : q.question]), wanted);
  };
  const fillAnswers = async (wanted) => {
    const found = (await questionsOf(schema.value)).find((q) => q.question === question.value);
    const answers = found ? found.answers.map((a, i) => [a, found.answer_texts[i] || a]) : [];
    fillSelect(answer, answers, wanted);
  };
  const report = () => {
    const values = formValues(form);
    window.history.replaceState(null, "", `${window.location.pathname}?${new URLSearchParams(values)}`);
    return changed(values);
  };
  await fillQuestions(url.get("question"));
  await fillAnswers(url.get("answer"));
  schema.onchange = async () => { await fillQuestions(); await fillAnswers(); await report(); };
  question.onchange = async () => { await fillAnswers(); await report(); };
  form.onchange = (event) => { if (event.target !== schema && event.target !== question) report(); };
  form.onsubmit = (event) => { event.preventDefault(); report(); };
  return report();
}

// ---- sky map ---------------------------------------------------------------------------------

// Mollweide projection of (ra, dec) in degrees, centred on ra 180 with ra growing to the left
// (east on the left, as the sky is seen from inside).
function mollweide(ra, dec) {
  const lambda = ((180 - (((ra % 360) + 360) % 360)) * Math.PI) / 180;
  const phi = (dec * Math.PI) / 180;
  let theta = phi;
  if (Math.abs(Math.abs(phi) - Math.PI / 2) < 1e-9) theta = phi;
  else {
    for (let i = 0; i < 50; i++) {
      const step = (2 * theta + Math.sin(2 * theta) - Math.PI * Math.sin(phi)) / (2 + 2 * Math.cos(2 * theta));
      theta -= step;
      if (Math.abs(step) < 1e-10) break;
    }
  }
  return [((2 * Math.SQRT2) / Math.PI) * lambda * Math.cos(theta), Math.SQRT2 * Math.sin(theta)];
}

function graticule() {
  const x = [];
  const y = [];
  const add = (points) => {
    for (const [ra, dec] of points) {
      const [px, py] = mollweide(ra, dec);
      x.push(px);
      y.push(py);
    }
    x.push(null);
    y.push(null);
  };
  const steps = (from, to, n) => [...Array(n + 1).keys()].map((i) => from + ((to - from) * i) / n);
  for (const ra of [0.0001, 60, 120, 180, 240, 300, 359.9999]) add(steps(-90, 90, 60).map((dec) => [ra, dec]));
  for (const dec of [-60, -30, 0, 30, 60]) add(steps(0.0001, 359.9999, 120).map((ra) => [ra, dec]));
  const labels = [0, 60, 120, 180, 240, 300].map((ra) => {
    const [px, py] = mollweide(ra === 0 ? 359.9999 : ra, 0);
    return { x: px, y: py, text: `${ra / 15}h`, showarrow: false, font: { size: 10, color: "#888" }, yshift: -8 };
  });
  const decLabels = [-60, -30, 30, 60].map((dec) => {
    const [px, py] = mollweide(359.9999, dec);
    return { x: px, y: py, text: `${dec}°`, showarrow: false, font: { size: 10, color: "#888" }, xshift: -14 };
  });
  return [{ type: "scatter", mode: "lines", x, y, hoverinfo: "skip", showlegend: false, line: { color: "#d5d9e2", width: 1 } }, [...labels, ...decLabels]];
}

async function drawSky(values) {
  const sky = await api("/api/sky", values);
  const n = sky.subject_id.length;
  const answerLabel = $("sky-form").elements.answer.selectedOptions[0]?.textContent || values.answer;
  const points = { with: { x: [], y: [], c: [], data: [] }, without: { x: [], y: [], data: [] } };
  for (let i = 0; i < n; i++) {
    const [x, y] = mollweide(sky.ra[i], sky.dec[i]);
    const data = [sky.subject_id[i], sky.iauname[i] || `subject ${sky.subject_id[i]}`, sky.ra[i], sky.dec[i], sky.total_votes[i], sky.vote_fraction[i]];
    const group = sky.vote_fraction[i] === null ? points.without : points.with;
    group.x.push(x);
    group.y.push(y);
    group.data.push(data);
    if (group === points.with) group.c.push(sky.vote_fraction[i]);
  }
  const type = n > SKY_SVG_LIMIT ? "scattergl" : "scatter";
  const hover = "<b>%{customdata[1]}</b><br>RA %{customdata[2]:.4f}°, Dec %{customdata[3]:.4f}°<br>";
  const [lines, annotations] = graticule();
  const traces = [
    lines,
    {
      type, mode: "markers", name: `fewer than ${Math.max(Number(values.min_votes) || 0, 1)} votes`,
      x: points.without.x, y: points.without.y, customdata: points.without.data,
      marker: { color: "#c3c7d0", size: 5 },
      hovertemplate: hover + "%{customdata[4]} votes on the question<extra></extra>",
    },
    {
      type, mode: "markers", name: answerLabel,
      x: points.with.x, y: points.with.y, customdata: points.with.data,
      marker: {
        color: points.with.c, cmin: 0, cmax: 1, colorscale: "Viridis", size: 6,
        colorbar: { title: { text: "vote fraction" }, thickness: 12 },
      },
      hovertemplate: hover + `${answerLabel}: %{customdata[5]:.2f} of %{customdata[4]} votes<extra></extra>`,
    },
  ];
  $("sky-note").textContent = `${number(n)} subjects with coordinates; ${number(points.with.x.length)} coloured by the vote fraction of “${answerLabel}”. Click a subject to open its page.`;
  const chart = $("sky-chart");
  await Plotly.react(chart, traces, layout({
    margin: { l: 8, r: 8, t: 8, b: 8 }, annotations, showlegend: true, legend: { orientation: "h", y: 0 },
    xaxis: { visible: false, range: [-2.9, 2.9] },
    yaxis: { visible: false, scaleanchor: "x", range: [-1.45, 1.45] },
    hovermode: "closest",
  }), plotConfig);
  chart.removeAllListeners?.("plotly_click");
  chart.on("plotly_click", (event) => {
    const point = event.points.find((p) => p.customdata);
    if (point) window.location.href = `/subject/${point.customdata[0]}`;
  });
}

async function showSky() {
  showPage("sky");
  await loadFrame("Sky map");
  const form = $("sky-form");
  selectionFields(form, []);
  await setupSelection(form, drawSky);
}

// ---- subject browser -------------------------------------------------------------------------

function thumbnail(subject) {
  const name = subject.iauname || `subject ${subject.subject_id}`;
  const url = webUrl(subject.image_url);
  const image = url
    ? el("img", { src: url, alt: name, loading: "lazy" })
    : el("span", { class: "no-image", text: "no image" });
  if (url) {
    image.addEventListener("error", () => image.replaceWith(el("span", { class: "no-image", text: "image unavailable" })));
  }
  const bar = el("span", { class: "fraction-bar" }, el("span", { style: `width: ${100 * subject.vote_fraction}%` }));
  return el(
    "a",
    { class: "thumb", href: `/subject/${subject.subject_id}`, title: name, "data-subject-id": subject.subject_id },
    image,
    el("span", { class: "name", text: name }),
    el("span", { class: "fraction", text: `${fraction(subject.vote_fraction)} [${fraction(subject.vote_fraction_lower)}, ${fraction(subject.vote_fraction_upper)}]` }),
    el("span", { class: "muted", text: `${subject.votes} of ${subject.total_votes} votes` }),
    bar,
  );
}

let browseState = null;

async function drawBrowse(values, append) {
  const offset = append ? browseState.shown : 0;
  const page = await api("/api/browse", { ...values, offset });
  const grid = $("browse-grid");
  const cards = page.subjects.map(thumbnail);
  if (append) grid.append(...cards);
  else grid.replaceChildren(...cards);
  browseState = { values, shown: offset + page.subjects.length, matching: page.matching };
  const sortText = values.sort === "lower" ? "the lower bound of its interval" : "its vote fraction";
  const csv = el("a", { href: `/api/browse.csv?${new URLSearchParams(values)}`, download: "", id: "browse-csv", text: "download all as CSV" });
  $("browse-note").replaceChildren(
    `${number(page.matching)} subjects with at least ${Math.max(Number(values.min_votes) || 0, 1)} votes on the question, sorted by ${sortText}; showing ${number(browseState.shown)}. `,
    csv,
  );
  $("browse-more").hidden = browseState.shown >= page.matching;
}

async function showBrowse() {
  showPage("browse");
  await loadFrame("Subjects");
  const form = $("browse-form");
  const sort = el("select", { name: "sort" }, el("option", { value: "fraction", text: "vote fraction" }), el("option", { value: "lower", text: "lower bound of its interval (Wilson)" }));
  const order = el("select", { name: "order" }, el("option", { value: "desc", text: "highest first" }), el("option", { value: "asc", text: "lowest first" }));
  selectionFields(form, [["sort by", sort], ["order", order]]);
  $("browse-more").onclick = () => drawBrowse(browseState.values, true);
  await setupSelection(form, (values) => drawBrowse(values, false));
}

// ---- subject page ----------------------------------------------------------------------------

// The questions each schema asked of the subject, in tree order, and which of them lie on the
// path its volunteers' leading answers take from the first question.
function questionsAlongTree(votes) {
  const schemas = new Map();
  for (const vote of votes) {
    if (!schemas.has(vote.schema_name)) schemas.set(vote.schema_name, new Map());
    const questions = schemas.get(vote.schema_name);
    if (!questions.has(vote.question)) questions.set(vote.question, { ...vote, answers: [] });
    questions.get(vote.question).answers.push(vote);
  }
  for (const questions of schemas.values()) {
    for (const q of questions.values()) {
      const best = q.answers.reduce((a, b) => ((b.vote_fraction ?? -1) > (a.vote_fraction ?? -1) ? b : a));
      q.leading = q.total_votes > 0 ? best.answer : null;
    }
    for (const q of questions.values()) {
      const parent = q.parent_question ? questions.get(q.parent_question) : null;
      q.onPath = !q.parent_question || Boolean(parent && parent.onPath && parent.leading === q.parent_answer);
    }
  }
  return schemas;
}

function questionBlock(q, questions, index) {
  const id = `question-${index}`;
  const parent = q.parent_question ? questions.get(q.parent_question) : null;
  const parentAnswer = parent ? parent.answers.find((a) => a.answer === q.parent_answer) : null;
  const asked = parent
    ? `asked after “${parent.question_text || parent.question}” → ${parentAnswer?.answer_text || q.parent_answer}`
    : "asked first";
  const block = el(
    "div",
    { class: `question${q.onPath ? "" : " off-path"}`, "data-question": q.question },
    el("h3", {}, q.question_text || q.question, q.onPath ? el("span", { class: "tag", text: "on the leading path" }) : null),
    el("div", { class: "muted", text: `${q.question} · ${asked} · ${number(q.total_votes)} votes` }),
    el("div", { class: "chart", id }),
  );
  return [block, () => drawQuestion(id, q)];
}

function drawQuestion(id, q) {
  const answers = q.answers;
  const labels = answers.map((a) => a.answer_text || a.answer);
  const f = answers.map((a) => a.vote_fraction);
  const traces = [{
    type: "bar", orientation: "h", name: "vote fraction", y: labels, x: f,
    marker: { color: answers.map((a) => (a.answer === q.leading ? palette[0] : "#9db5ea")) },
    error_x: {
      type: "data", symmetric: false, color: "#1d2433", thickness: 1, width: 4,
      array: answers.map((a) => (a.vote_fraction_upper ?? 0) - (a.vote_fraction ?? 0)),
      arrayminus: answers.map((a) => (a.vote_fraction ?? 0) - (a.vote_fraction_lower ?? 0)),
    },
    customdata: answers.map((a) => [a.votes, a.total_votes, a.vote_fraction_lower, a.vote_fraction_upper]),
    hovertemplate: "%{y}: %{x:.2f} (%{customdata[0]} of %{customdata[1]} votes), interval %{customdata[2]:.2f}–%{customdata[3]:.2f}<extra></extra>",
  }];
  if (answers.some((a) => a.weighted_vote_fraction !== null && a.weighted_vote_fraction !== undefined)) {
    traces.push({
      type: "scatter", mode: "markers", name: "weighted fraction", y: labels,
      x: answers.map((a) => a.weighted_vote_fraction),
      marker: { symbol: "diamond", size: 9, color: palette[1], line: { color: "#fff", width: 1 } },
      hovertemplate: "%{y}: weighted %{x:.2f}<extra></extra>",
    });
  }
  return plot(id, traces, {
    height: 46 + 26 * answers.length, margin: { l: 10, r: 12, t: 4, b: 30 }, showlegend: false,
    xaxis: { range: [0, 1], tickformat: ".1f" }, yaxis: { autorange: "reversed", automargin: true },
  });
}

function subjectFacts(subject) {
  const rows = [
    ["subject", String(subject.subject_id)],
    ["RA, Dec", subject.ra === null ? "–" : `${fraction(subject.ra, 5)}°, ${fraction(subject.dec, 5)}°`],
    ["classifications", number(subject.classification_count)],
    ["workflows", (subject.workflow_ids || []).map(workflowName).join(", ") || "–"],
    ["first, last", `${subject.first_classified_at || "–"}, ${subject.last_classified_at || "–"}`],
    ["retired", subject.retired_at ? `${subject.retired_at} (${subject.retirement_reason || "reason not given"})` : "not retired, or no Panoptes status landed"],
  ];
  const links = [];
  if (webUrl(subject.talk_url)) links.push(el("a", { href: subject.talk_url, id: "talk-link", text: "discuss on Talk" }));
  if (webUrl(subject.image_url)) links.push(el("a", { href: subject.image_url, text: "full image" }));
  return el(
    "div",
    {},
    el("h2", { text: subject.iauname || `Subject ${subject.subject_id}` }),
    el("table", {}, ...rows.map(([k, v]) => el("tr", {}, el("th", { text: k }), el("td", { text: v })))),
    el("p", {}, ...links.flatMap((link, i) => (i ? [" · ", link] : [link]))),
  );
}

function drawSubjectActivity(activity, retiredAt) {
  if (!activity.length) return emptyChart("subject-activity-chart", "no classification of this subject published");
  const traces = [...byWorkflow(activity)].map(([workflowId, rows], i) => {
    let total = 0;
    return {
      type: "scatter", mode: "lines+markers", line: { shape: "hv", color: palette[i % palette.length] },
      name: workflowName(workflowId), x: rows.map((r) => r.classified_on),
      y: rows.map((r) => (total += r.classifications)),
      hovertemplate: "%{x}: %{y} classifications so far<extra></extra>",
    };
  });
  const shapes = [];
  const annotations = [];
  if (retiredAt) {
    shapes.push({ type: "line", x0: retiredAt, x1: retiredAt, yref: "paper", y0: 0, y1: 1, line: { dash: "dash", color: "#888" } });
    annotations.push({ x: retiredAt, yref: "paper", y: 1, text: "retired", showarrow: false, yanchor: "bottom", font: { color: "#6b7385" } });
  }
  return plot("subject-activity-chart", traces, {
    shapes, annotations, yaxis: { title: { text: "classifications so far" }, rangemode: "tozero" },
  });
}

async function showSubject(subjectId) {
  await loadFrame(`Subject ${subjectId}`);
  let subject;
  try {
    subject = await api(`/api/subject/${subjectId}`);
  } catch (error) {
    showPage("missing");
    $("missing-text").textContent = `No subject ${subjectId} in the published marts.`;
    return;
  }
  showPage("subject");
  markCurrent("browse");
  document.title = `${subject.iauname || "Subject " + subjectId} · ${projectName()}`;
  const head = $("subject-head");
  const image = webUrl(subject.image_url)
    ? el("img", { src: subject.image_url, alt: subject.iauname || `subject ${subjectId}`, id: "subject-image" })
    : el("div", { class: "no-image", text: "no image" });
  image.addEventListener("error", () => image.replaceWith(el("div", { class: "no-image", text: "image unavailable" })));
  head.replaceChildren(image, subjectFacts(subject));
  const container = $("subject-questions");
  const draws = [];
  const sections = [];
  let index = 0;
  for (const [schema, questions] of questionsAlongTree(subject.votes)) {
    const reached = [...questions.values()].filter((q) => q.total_votes > 0);
    const blocks = reached.map((q) => {
      const [block, draw] = questionBlock(q, questions, index++);
      draws.push(draw);
      return block;
    });
    sections.push(el(
      "section",
      { class: "wide" },
      el("h2", { text: `${schema}: vote fractions with their intervals, along the tree` }),
      el("div", { class: "note", text: `${reached.length} of ${questions.size} questions answered by this subject's volunteers; bars are vote fractions with their intervals, diamonds the weighted fractions.` }),
      el("div", { class: "questions" }, ...blocks),
    ));
  }
  if (!sections.length) sections.push(el("section", { class: "wide" }, el("p", { text: "No counted votes for this subject yet." })));
  container.replaceChildren(...sections);
  await Promise.all([drawSubjectActivity(subject.activity, subject.retired_at), ...draws.map((draw) => draw())]);
}

// ---- routing ---------------------------------------------------------------------------------

async function route() {
  setupSearch();
  const path = window.location.pathname;
  const subject = path.match(/^\/subject\/(\d+)$/);
  if (subject) return showSubject(subject[1]);
  if (path === "/sky") return showSky();
  if (path === "/browse") return showBrowse();
  await showOverview();
  setInterval(() => showOverview().catch(reportError), 60000); // the marts change with every build
}

function reportError(error) {
  console.error(error);
  const banner = el("div", { class: "note", id: "error", text: `Could not load: ${error.message}` });
  document.body.prepend(banner);
}

route()
  .then(() => document.body.setAttribute("data-ready", "true"))
  .catch(reportError);
