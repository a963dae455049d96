// The twin's dashboard: reads /dashboard/data (with the API key the person typed, kept in
// this tab's sessionStorage) and draws it with the vendored uPlot. No other network.
"use strict";
(() => {
  const KEY = "twin-api-key";
  const RANGES = ["30d", "1y", "all"];
  const query = new URLSearchParams(location.search);
  const view = { range: RANGES.includes(query.get("range")) ? query.get("range") : "1y", day: query.get("date") || "" };
  const plots = {};
  const $ = (selector, root = document) => root.querySelector(selector);
  const money = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
  const utc = (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC");
  const seconds = (iso) => Date.parse(iso.length === 7 ? `${iso}-01T00:00:00Z` : `${iso}T00:00:00Z`) / 1e3;
  const COLORS = ["#2b6cb0", "#2f855a", "#805ad5", "#c05621", "#b83280"];

  function headers() {
    const key = sessionStorage.getItem(KEY);
    return key ? { "X-API-KEY": key } : {};
  }

  async function load() {
    document.body.dataset.drawn = "false";
    const params = new URLSearchParams({ range: view.range });
    if (view.day) params.set("date", view.day);
    history.replaceState(null, "", `?${params}`);
    for (const button of document.querySelectorAll("nav button")) {
      button.setAttribute("aria-pressed", String(button.dataset.range === view.range));
    }
    let response;
    try {
      response = await fetch(`dashboard/data?${params}`, { headers: headers(), cache: "no-store" });
    } catch (error) {
      return refuse(`the twin API does not answer (${error.message})`, false);
    }
    const answer = await response.json().catch(() => ({}));
    if (response.status === 401 || response.status === 403) {
      sessionStorage.removeItem(KEY);
      return refuse(typeof answer.detail === "string" ? answer.detail : "the API key was refused", true);
    }
    if (!response.ok) return refuse(answer.report || `the twin API answered ${response.status}`, false);
    draw(answer);
  }

  // Nothing of the twin stays on the page once the API refuses.
  function refuse(message, askForKey) {
    for (const name of Object.keys(plots)) { plots[name].destroy(); delete plots[name]; }
    $("#board").hidden = true;
    $("#login").hidden = !askForKey;
    $("#login-error").textContent = askForKey ? message : "";
    if (!askForKey) { $("#board").hidden = false; $("#missing").textContent = message; }
    document.body.dataset.drawn = "refused";
  }

  function draw(answer) {
    const data = answer.data;
    $("#login").hidden = true;
    $("#board").hidden = false;
    // A household key's answer holds the pantry and the home only: the other cards are not shown.
    for (const card of document.querySelectorAll("[data-chart]")) {
      const source = card.dataset.chart === "runouts" ? "forecasts" : card.dataset.chart;
      card.hidden = !(source in data);
    }
    const home = data.home || { text: null, note: null };
    $('[data-chart="home"] .home-text').textContent = home.text || "";
    $('[data-chart="home"] .note').textContent = home.note || "";
    $("#missing").textContent = answer.missing.length ? `Missing: ${answer.missing.join(" · ")}` : "";
    const store = data.store || {};
    const picker = $("#day");
    picker.min = store.first_day || "";
    picker.max = store.last_day || "";
    picker.value = data.selected_day || "";
    $("#status-day").textContent = data.selected_day || "—";
    $("#status-text").textContent = data.status_text || "";
    const cashflow = data.cashflow || { months: [], net: {} };
    const soFar = cashflow.month_so_far;
    $("#month-so-far").textContent = soFar
      ? `This month so far (${soFar.as_of}): ` + Object.entries(soFar.net).map(([c, v]) => `${v >= 0 ? "+" : ""}${money.format(v)} ${c}`).join(", ")
      : "";
    const corrections = data.corrections;
    $("#corrections").textContent = corrections
      ? `· ${corrections.days} ${corrections.days === 1 ? "day" : "days"} corrected (${corrections.rows} ${corrections.rows === 1 ? "row" : "rows"} replaced)`
      : "";

    const currencies = Object.keys(cashflow.net);
    chart("cashflow", [cashflow.months.map(seconds), ...currencies.map((c) => cashflow.net[c])], {
      series: [{}, ...currencies.map((c, i) => ({ label: `net ${c}`, fill: COLORS[i] + "cc", stroke: COLORS[i],
        paths: uPlot.paths.bars({ size: [0.7, 40] }), points: { show: false }, value: (u, v) => v == null ? "—" : money.format(v) }))],
      axes: [{}, { values: (u, ticks) => ticks.map((v) => compact.format(v)), size: 50 }],
    }, cashflow.missing, currencies.reduce((n, c) => n + present(cashflow.net[c]), 0));

    const weight = data.weight || { days: [], bodyweight_kg: [], trend_kg: [], bodyfat_pct: [] };
    chart("weight", [weight.days.map(seconds), weight.bodyweight_kg, weight.trend_kg, weight.bodyfat_pct], {
      scales: { kg: { auto: true }, pct: { auto: true } },
      series: [{},
        { label: "weight kg", scale: "kg", stroke: COLORS[0], paths: () => null, points: { show: true, size: 3, fill: COLORS[0] } },
        { label: "28-day trend", scale: "kg", stroke: "#1d2433", width: 2, points: { show: false }, spanGaps: true },
        { label: "body fat %", scale: "pct", stroke: COLORS[3], paths: () => null, points: { show: true, size: 4, fill: COLORS[3] } }],
      axes: [{}, { scale: "kg", label: "kg" }, { scale: "pct", side: 1, label: "%", grid: { show: false } }],
    }, weight.missing, present(weight.bodyweight_kg) + present(weight.bodyfat_pct));

    const body = data.readiness || { days: [], readiness_score: [], sleep_score: [], hrv_ms: [] };
    chart("readiness", [body.days.map(seconds), body.readiness_score, body.sleep_score, body.hrv_ms], {
      scales: { score: { range: [0, 100] }, ms: { auto: true } },
      series: [{},
        { label: "readiness", scale: "score", stroke: COLORS[1], points: { show: false } },
        { label: "sleep score", scale: "score", stroke: COLORS[2], points: { show: false } },
        { label: "HRV ms", scale: "ms", stroke: COLORS[3], points: { show: false } }],
      axes: [{}, { scale: "score", label: "score" }, { scale: "ms", side: 1, label: "ms", grid: { show: false } }],
    }, body.note, present(body.readiness_score) + present(body.sleep_score) + present(body.hrv_ms));

    const workouts = data.workouts || { weeks_ending: [], workouts: [], target: 0 };
    chart("workouts", [workouts.weeks_ending.map(seconds), workouts.workouts, workouts.weeks_ending.map(() => workouts.target)], {
      scales: { y: { range: (u, min, max) => [0, Math.max(max, workouts.target) + 1] } },
      series: [{},
        { label: "workouts in the week", fill: COLORS[1] + "cc", stroke: COLORS[1], paths: uPlot.paths.bars({ size: [0.7, 30] }), points: { show: false } },
        { label: `target ${workouts.target}`, stroke: "#c53030", dash: [6, 4], points: { show: false } }],
    }, workouts.missing, present(workouts.workouts));

    budgets(data.budgets || { budgets: [] });

    const pantry = data.pantry || { days: [], low_stock: [], expiring_soon: [], expired: [] };
    $('[data-chart="pantry"] .every').textContent = pantry.every === "week" ? "(each week's last day)" : "";
    chart("pantry", [pantry.days.map(seconds), pantry.low_stock, pantry.expiring_soon, pantry.expired], {
      series: [{},
        { label: "low stock", stroke: COLORS[0], points: { show: false } },
        { label: "expiring soon", stroke: COLORS[3], points: { show: false } },
        { label: "expired", stroke: "#c53030", points: { show: false } }],
    }, pantry.missing, present(pantry.low_stock) + present(pantry.expiring_soon) + present(pantry.expired));

    const forecasts = data.forecasts || { day_of_month: [], month_end_accuracy_pct: [], runouts: [], threshold_pct: 80 };
    chart("forecasts", [forecasts.day_of_month, forecasts.month_end_accuracy_pct, forecasts.day_of_month.map(() => forecasts.threshold_pct)], {
      scales: { x: { time: false } },
      series: [{ label: "day of month" },
        { label: "median accuracy %", stroke: COLORS[0], width: 2, points: { show: true, size: 4, fill: COLORS[0] },
          value: (u, v) => v == null ? "—" : `${v.toFixed(1)} %` },
        { label: `good at ${forecasts.threshold_pct} %`, stroke: "#c53030", dash: [6, 4], points: { show: false } }],
      axes: [{ label: "day of the month the projection was made" }, { values: (u, ticks) => ticks.map((v) => `${v} %`), size: 64 }],
    }, forecasts.note, present(forecasts.month_end_accuracy_pct));
    runouts(forecasts);
    monthEndBand(forecasts);

    document.body.dataset.drawn = "true";
    window.twinDashboardDrawnAt = performance.now();
  }

  // Each projection against the month's outcome, its 80 % range a band around it; below,
  // per kind how far off the forecasts were and how often their range held.
  function monthEndBand(forecasts) {
    const band = forecasts.month_end_band || { made_on: [], predicted: [], low: [], high: [], actual: [] };
    const amount = (u, v) => v == null ? "—" : money.format(v);
    chart("month-end-band", [band.made_on.map(seconds), band.high, band.low, band.predicted, band.actual], {
      bands: [{ series: [1, 2], fill: COLORS[0] + "33" }],
      series: [{},
        { label: "80 % high", stroke: COLORS[0] + "66", points: { show: false }, value: amount },
        { label: "80 % low", stroke: COLORS[0] + "66", points: { show: false }, value: amount },
        { label: "projected", stroke: COLORS[0], width: 2, points: { show: false }, value: amount },
        { label: "outcome", stroke: "#1d2433", width: 2, points: { show: false }, value: amount }],
      axes: [{}, { values: (u, ticks) => ticks.map((v) => compact.format(v)), size: 50 }],
    }, forecasts.note, present(band.predicted));
    const labels = { month_end_net: "month end", budget_run_out: "run-outs", weight_28d: "weight", pantry_threshold: "pantry" };
    $('[data-chart="month-end-band"] .coverage').textContent = Object.values(forecasts.by_kind || {}).map((s) =>
      `${labels[s.kind]}: ${s.count} scored, ±${s.mean_absolute_error ?? "—"} ${s.unit === "currency" ? "" : s.unit}`.trimEnd()
      + `, ${s.coverage_pct ?? "—"} % in range` + (s.median_accuracy_pct == null ? "" : `, median ${s.median_accuracy_pct} %`)
    ).join(" · ");
  }

  function present(values) {
    return (values || []).filter((v) => v != null).length;
  }

  function chart(name, columns, options, missing, points) {
    const card = $(`[data-chart="${name}"]`);
    const box = $(".plot", card);
    card.dataset.points = String(points);
    $(".note", card).textContent = missing || "";
    if (plots[name]) { plots[name].destroy(); delete plots[name]; }
    box.replaceChildren();
    if (!columns[0].length) return;
    plots[name] = new uPlot({
      width: box.clientWidth, height: 220, tzDate: utc, cursor: { drag: { x: false, y: false } },
      legend: { live: true }, ...options,
    }, columns, box);
  }

  function budgets(day) {
    const card = $('[data-chart="budgets"]');
    const list = $(".bars", card);
    $(".budget-day", card).textContent = day.as_of || "—";
    $(".note", card).textContent = day.missing || "";
    card.dataset.points = String(day.budgets.length);
    const top = Math.min(200, Math.max(100, ...day.budgets.map((b) => b.utilization_pct || 0)));
    list.replaceChildren(...day.budgets.map((budget) => {
      const full = document.createElement("div");
      full.className = "full";
      full.style.left = `${100 / top * 100}%`;
      return bar(budget.category_path, Math.min(100, (budget.utilization_pct || 0) / top * 100),
        `${budget.utilization_pct}%` + (budget.alert_severity ? ` · ${budget.alert_severity}` : ""),
        `fill ${budget.alert_severity || ""}`, full);
    }));
  }

  // One row of a bar list: its label, and a track filled to `width` % with `text` on it.
  function bar(labelText, width, text, fillClass, ...marks) {
    const item = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = labelText;
    const track = document.createElement("div");
    track.className = "track";
    const fill = document.createElement("div");
    fill.className = fillClass;
    fill.style.width = `${width}%`;
    const caption = document.createElement("span");
    caption.textContent = text;
    track.append(fill, ...marks, caption);
    item.append(label, track);
    return item;
  }

  // Each budget's mean run-out error in days: the bar its mean absolute error, the text
  // the signed mean (negative: it ran out later than predicted, or not at all).
  function runouts(forecasts) {
    const card = $('[data-chart="runouts"]');
    const rows = forecasts.runouts || [];
    $(".note", card).textContent = rows.length ? "" : (forecasts.note || "no budget run-out forecast scored in the range");
    card.dataset.points = String(rows.length);
    const top = Math.max(1, ...rows.map((r) => r.mean_absolute_error_days));
    $(".bars", card).replaceChildren(...rows.map((row) => {
      const signed = row.mean_error_days > 0 ? `ran out ${row.mean_error_days} d sooner` : `${-row.mean_error_days} d later`;
      return bar(row.category_path, row.mean_absolute_error_days / top * 100,
        `±${row.mean_absolute_error_days} d · ${signed} · ${row.scored} forecasts`, "fill");
    }));
  }

  function resize() {
    for (const [name, plot] of Object.entries(plots)) {
      plot.setSize({ width: $(`[data-chart="${name}"] .plot`).clientWidth, height: 220 });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const button of document.querySelectorAll("nav button")) {
      button.addEventListener("click", () => { view.range = button.dataset.range; load(); });
    }
    $("#day").addEventListener("change", (event) => { view.day = event.target.value; load(); });
    $("#login").addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(KEY, $("#key").value);
      $("#key").value = "";
      load();
    });
    let pending;
    window.addEventListener("resize", () => { clearTimeout(pending); pending = setTimeout(resize, 100); });
    load();
  });
})();
