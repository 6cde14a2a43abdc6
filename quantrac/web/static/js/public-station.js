// A station page: latest values, a chart of one parameter with its QCVN limit, the VN_AQI /
// VN_WQI history as a calendar, recent exceedances and downloads — all from the public API.
(function () {
  "use strict";
  const QT = window.QT;
  const P = window.QTP;
  const C = window.QTChart;
  const cfg = P.config();
  const st = cfg.station;
  const base = "stations/" + encodeURIComponent(st.code);
  const HOUR = 3600;
  const DAY = 86400;
  /** Period → span and the aggregation the API computes for it. */
  const PERIODS = {
    "24h": { span: DAY, aggregation: "raw" },
    "7d": { span: 7 * DAY, aggregation: "1h" },
    "30d": { span: 30 * DAY, aggregation: "1h" },
    "1y": { span: 365 * DAY, aggregation: "24h" },
  };
  const AGGREGATION_TEXT = { raw: "measured values", "1h": "hourly means", "24h": "daily means" };
  const state = { series: [], latest: new Map(), limits: [], chart: null, parameter: null, period: "7d" };
  const el = QT.el;
  const iso = (epoch) => new Date(epoch * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  const epochOf = (text) => Date.parse(text) / 1000;

  function tbody(id) {
    return document.querySelector(`#${id} tbody`);
  }

  function emptyRow(body, cols, text) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: cols, class: "muted" }, text)));
  }

  /** The rule a single value can be compared with (each value, or a 1-hour limit). */
  function pointRule(code) {
    return state.limits.find((r) => r.parameter === code && r.averaging === "single sample") ||
      state.limits.find((r) => r.parameter === code && r.averaging === "1h");
  }

  function limitText(r) {
    const parts = [];
    if (r.minimum !== null) parts.push("≥ " + P.num(r.minimum));
    if (r.maximum !== null) parts.push("≤ " + P.num(r.maximum));
    return `${parts.join(", ")} (${C.averagingText(r.averaging)})`;
  }

  /** The shortest-period limit of a parameter in force on the day of its newest value. */
  function shortestLimit(code, epoch) {
    const order = ["single sample", "1h", "8h", "24h", "year"];
    const now = C.localDate(epoch);
    const mine = state.limits.filter((r) => r.parameter === code && (!r.valid_to || r.valid_to >= now) && (!r.valid_from || r.valid_from <= now));
    mine.sort((a, b) => order.indexOf(a.averaging) - order.indexOf(b.averaging));
    return mine[0];
  }

  function renderLatest() {
    const body = tbody("latest");
    const rows = state.series.filter((s) => state.latest.get(s.parameter));
    if (!rows.length) return emptyRow(body, 5, QT.t("No published values yet"));
    body.replaceChildren(
      ...rows.map((s) => {
        const v = state.latest.get(s.parameter);
        const rule = pointRule(s.parameter);
        const over = rule && v.value !== null &&
          ((rule.maximum !== null && v.value > rule.maximum) || (rule.minimum !== null && v.value < rule.minimum));
        const lim = shortestLimit(s.parameter, epochOf(v.time));
        return el(
          "tr",
          { "data-parameter": s.parameter },
          el("td", {}, el("a", { href: "#chart", onclick: () => select(s.parameter) }, P.parameterName(s.parameter))),
          el("td", { class: "num" + (over ? " over" : "") }, P.num(v.value)),
          el("td", {}, s.unit),
          el("td", {}, QT.fmtDateTime(v.time)),
          el("td", { class: "hide-mobile small" }, lim ? limitText(lim) : "—"),
        );
      }),
    );
  }

  function xOf(label, aggregation) {
    // Daily means are labelled by local date: plot them at local noon.
    return aggregation === "24h" ? epochOf(label + "T12:00:00+07:00") : epochOf(label);
  }

  async function drawChart() {
    const box = document.getElementById("chart");
    const note = document.getElementById("chart-note");
    const s = state.series.find((x) => x.parameter === state.parameter);
    const newest = state.latest.get(state.parameter);
    if (!s || !newest) {
      note.textContent = QT.t("No published values for this parameter");
      document.querySelector(".downloads").hidden = true;
      if (state.chart) state.chart.destroy();
      state.chart = null;
      box.replaceChildren();
      return;
    }
    const period = PERIODS[state.period];
    const end = Math.ceil(epochOf(newest.time) / HOUR) * HOUR + 1;
    const start = end - period.span;
    const q = new URLSearchParams({ start: iso(start), end: iso(end), aggregation: period.aggregation });
    if (period.aggregation === "raw") {
      q.set("qc", "1,2,3");
      q.set("limit", "20000");
    }
    note.textContent = QT.t("Loading…");
    const body = await QT.api(`${base}/observations/${encodeURIComponent(s.parameter)}?${q}`);
    const times = body.time.map((t) => xOf(t, period.aggregation));
    const rules = C.chooseRules(state.limits.filter((r) => r.parameter === s.parameter), period.aggregation);
    const lines = C.limitLines(rules, times);
    state.chart = C.draw(box, { times, values: body.value, label: P.parameterName(s.parameter), unit: s.unit, lines }, state.chart);
    const shown = body.value.filter((v) => v !== null).length;
    note.textContent =
      `${QT.t(AGGREGATION_TEXT[period.aggregation])}, ${QT.fmtDateTime(start)} – ${QT.fmtDateTime(end - 1)} · ` +
      P.fmt("{n} values", { n: QT.fmtNumber(shown, 0) });
    box.dataset.points = String(shown);
    box.dataset.limits = String(lines.length);
    document.getElementById("limit-list").replaceChildren(
      ...(lines.length
        ? lines.map((l) => el("li", {}, `${l.label}: ${[...new Set(l.values.filter((v) => v !== null))].map((v) => P.num(v)).join(" → ")} ${s.unit}`))
        : [el("li", { class: "muted" }, QT.t("No QCVN limit for this parameter at this station"))]),
    );
    document.querySelector(".downloads").hidden = false;
    const dl = new URLSearchParams({ station: st.code, start: iso(start), end: iso(end) });
    document.getElementById("dl-csv").href = "/api/v1/exports/observations.csv?" + dl;
    document.getElementById("dl-xlsx").href = "/api/v1/exports/observations.xlsx?" + dl;
  }

  function remember() {
    const q = new URLSearchParams(location.search);
    if (state.parameter) q.set("parameter", state.parameter);
    q.set("period", state.period);
    history.replaceState(null, "", location.pathname + "?" + q);
  }

  function select(parameter, period) {
    if (parameter) state.parameter = parameter;
    if (period) state.period = period;
    document.getElementById("param").value = state.parameter;
    for (const b of document.querySelectorAll(".periods button")) b.setAttribute("aria-pressed", String(b.dataset.period === state.period));
    remember();
    drawChart().catch((err) => QT.showError(document.getElementById("chart-note"), err));
  }

  function renderEvents(events) {
    const body = tbody("events");
    if (!events.length) return emptyRow(body, 5, QT.t("No exceedances recorded"));
    body.replaceChildren(
      ...events.map((e) => {
        const d = e.details || {};
        const bound = d.direction === "below_minimum" ? "≥ " + P.num(d.minimum) : "≤ " + P.num(d.maximum);
        return el(
          "tr",
          { "data-status": e.status },
          el("td", {}, P.parameterName(e.parameter)),
          el("td", {}, QT.fmtDateTime(e.started_at)),
          el("td", {}, e.ended_at ? QT.fmtDateTime(e.ended_at) : el("strong", {}, QT.t("ongoing"))),
          el("td", { class: "num" }, `${P.num(e.peak_value)} ${d.unit || ""}`),
          el("td", { class: "hide-mobile small" }, `${bound} (${C.averagingText(d.averaging)}, ${(d.regulation || "").replace("/BTNMT", "")})`),
        );
      }),
    );
  }

  function indexCard(row, label) {
    const card = document.getElementById("index-card");
    const cat = P.category(row.kind, row.value);
    const colour = cat ? cat.colour : P.NO_INDEX;
    card.hidden = false;
    card.style.background = colour;
    card.style.color = P.inkOn(colour);
    card.dataset.category = cat ? cat.label_en : "";
    card.replaceChildren(
      el("div", { class: "small" }, label),
      el("div", { class: "value" }, QT.fmtNumber(row.value, 0)),
      el("div", { class: "label" }, cat ? cat.label : "—"),
      el("div", { class: "when" }, P.indexWhen(row)),
    );
    if (P.isStale(row.time)) card.appendChild(el("div", { class: "when" }, QT.t("Not a current value")));
  }

  async function loadIndices() {
    const kinds = cfg.index_kinds[st.medium];
    if (!kinds) return;
    const isAir = st.medium === "ambient_air";
    const name = isAir ? "VN_AQI" : "VN_WQI";
    const daily = isAir ? "aqi_daily" : "wqi_daily";
    const newest = Math.max(...state.series.map((s) => (s.last_time ? epochOf(s.last_time) : 0)));
    if (!newest) return;
    const anchor = Math.ceil(newest / DAY) * DAY + DAY;
    const [days, hours] = await Promise.all([
      QT.api(`indices?station=${encodeURIComponent(st.code)}&kind=${daily}&start=${iso(anchor - 372 * DAY)}&end=${iso(anchor)}`),
      isAir ? QT.api(`indices?station=${encodeURIComponent(st.code)}&kind=aqi_hourly&start=${iso(newest - 6 * HOUR)}`) : [],
    ]);
    const valued = (rows) => rows.filter((r) => r.value !== null);
    const current = valued(hours).pop() || valued(days).pop();
    if (current) indexCard(current, name);
    window.QTCalendar.render(days, { name, daily, anchor });
  }

  /** Lab results of a periodic station: the samples of the last two years, newest first. */
  async function loadSamples() {
    const body = tbody("sample-table");
    if (!body) return;
    const since = iso(Date.now() / 1000 - 731 * DAY);
    const samples = await QT.api(`samples?station=${encodeURIComponent(st.code)}&start=${since}`);
    document.getElementById("samples-note").textContent = P.fmt("{n} samples in the last two years", { n: QT.fmtNumber(samples.length, 0) });
    if (!samples.length) return emptyRow(body, 3, QT.t("No published values yet"));
    body.replaceChildren(
      ...samples.reverse().slice(0, 20).map((s) =>
        el("tr", {},
          el("td", {}, QT.fmtDate(s.sampled_at)),
          el("td", {}, s.sample_code),
          el("td", { class: "small" }, s.results.map((r) =>
            `${P.parameterName(r.parameter)}: ${r.qualifier && r.qualifier !== "=" ? r.qualifier + " " : ""}${P.num(r.value !== null ? r.value : r.detection_limit)} ${r.unit}`).join(" · ")))),
    );
  }

  async function init() {
    const [series, limits, events] = await Promise.all([
      QT.api(`${base}/series`),
      QT.api(`${base}/limits`),
      QT.api(`events?station=${encodeURIComponent(st.code)}&kind=exceedance&limit=10`),
    ]);
    state.series = series.sort((a, b) => P.parameterName(a.parameter).localeCompare(P.parameterName(b.parameter), QT.locale));
    state.limits = limits;
    renderEvents(events);
    const newest = await Promise.all(
      series.map((s) => QT.api(`series/${s.id}/observations?order=desc&limit=1`).catch(() => null)),
    );
    series.forEach((s, i) => {
      const b = newest[i];
      if (b && b.time.length) state.latest.set(s.parameter, { time: b.time[0], value: b.value[0] });
    });
    renderLatest();
    const sel = document.getElementById("param");
    P.fillSelect(sel, state.series.map((s) => [s.parameter, P.parameterName(s.parameter)]));
    sel.addEventListener("change", () => select(sel.value));
    for (const b of document.querySelectorAll(".periods button")) b.addEventListener("click", () => select(null, b.dataset.period));
    const q = new URLSearchParams(location.search);
    const preferred = ["PM25", "DO", "COD", "PH"].find((p) => state.latest.has(p));
    const asked = q.get("parameter");
    const first = state.series.find((s) => state.latest.has(s.parameter));
    select(
      asked && state.latest.has(asked) ? asked : preferred || (first ? first.parameter : state.series[0] && state.series[0].parameter),
      PERIODS[q.get("period")] ? q.get("period") : "7d",
    );
    loadIndices().catch((err) => QT.showError(document.getElementById("history-note"), err));
    loadSamples().catch((err) => {
      const note = document.getElementById("samples-note");
      if (note) QT.showError(note, err);
    });
  }

  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      const box = document.getElementById("chart");
      if (state.chart) state.chart.setSize({ width: Math.max(280, box.clientWidth), height: state.chart.height });
    }, 150);
  });

  window.QT_STATION = state;
  init().catch((err) => QT.showError(document.getElementById("chart-note"), err));
})();
