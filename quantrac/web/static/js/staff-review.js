// QC review: pick one of your stations, a parameter and a period; the values come from the
// REST API (automatic series: /stations/{code}/observations/{parameter}; lab results:
// /samples), the decisions and the revision trail from /workspace/series/{id}/review, and the
// actions (approve a period, override flags, correct a value) go to /workspace/series/{id}/….
(function () {
  "use strict";
  const QT = window.QT;
  const S = window.QTS;
  const { el, t } = QT;
  const form = document.getElementById("review-pick");
  const message = document.getElementById("review-message");
  const view = document.getElementById("review-view");
  const FLAGS = { 1: "good", 2: "not evaluated", 3: "suspect", 4: "bad", 9: "missing" };
  const PAGES_MAX = 20;
  const state = { stations: [], station: null, series: [], samples: [], shown: null, picks: 0, shows: 0 };
  window.QTS_REVIEW = state; // the tests read what is drawn

  function flagBadge(f) {
    const kind = f === 1 ? "ok" : f === 3 ? "warn" : f === 4 || f === 9 ? "bad" : "idle";
    return S.badge(t(FLAGS[f] || String(f)), kind);
  }

  function selected() {
    return state.stations.find((s) => s.code === form.station.value) || null;
  }

  async function pickStation() {
    const st = selected();
    state.station = st;
    if (!st) return;
    const turn = ++state.picks; // a later choice wins over an answer still on its way
    try {
      if (st.kind === "periodic") {
        const samples = await QT.api(`samples?station=${encodeURIComponent(st.code)}&limit=200000`);
        if (turn !== state.picks) return;
        state.samples = samples;
        const params = [...new Set(state.samples.flatMap((s) => s.results.map((r) => r.parameter)))].sort();
        S.options(form.parameter, params.map((p) => ({ value: p, label: p })));
        const times = state.samples.map((s) => s.sampled_at).sort();
        if (times.length) setRange(times[0], times[times.length - 1]);
      } else {
        const series = await QT.api(`stations/${encodeURIComponent(st.code)}/series`);
        if (turn !== state.picks) return;
        state.series = series;
        S.options(form.parameter, state.series.map((s) => ({ value: s.parameter, label: `${s.parameter} (${s.unit})` })));
        const last = state.series.map((s) => s.last_time).filter(Boolean).sort().pop();
        if (last) setRange(new Date(Date.parse(last) - 6 * 86400e3).toISOString(), last);
      }
    } catch (err) {
      S.failed(message, err);
    }
  }

  /** ISO instants → the date inputs, as Vietnam days (dd/mm/yyyy). */
  function setRange(first, last) {
    const day = (iso) => new Date(Date.parse(iso) + 7 * 3600e3).toISOString().slice(0, 10);
    form.from.value = S.showDay(day(first));
    form.to.value = S.showDay(day(last));
  }

  /** The chosen days as [start, end) instants; null (and a message) when a date is invalid. */
  function period() {
    const from = form.from.value.trim() ? S.parseDay(form.from.value) : S.vnDay(-6);
    const to = form.to.value.trim() ? S.parseDay(form.to.value) : S.vnDay(0);
    if (!from || !to || to < from) {
      S.say(message, t("Write the dates as dd/mm/yyyy, the first not after the second."), "error");
      return null;
    }
    return { start: S.dayStart(from), end: S.dayStart(S.nextDay(to)) };
  }

  async function observations(code, parameter, p) {
    const base = `stations/${encodeURIComponent(code)}/observations/${encodeURIComponent(parameter)}`;
    const q = new URLSearchParams({ start: p.start, end: p.end, limit: "100000" });
    const all = { time: [], value: [], qc_flag: [] };
    for (let page = 0; page < PAGES_MAX; page++) {
      const r = await QT.api(base + "?" + q.toString());
      all.time.push(...r.time);
      all.value.push(...r.value);
      all.qc_flag.push(...(r.qc_flag || r.time.map(() => 2)));
      all.unit = r.unit;
      all.series_id = r.series_id;
      if (!r.next_cursor) break;
      q.set("cursor", r.next_cursor);
    }
    return all;
  }

  function chart(x, y, flags, unit, label, onPick) {
    const node = document.getElementById("review-chart");
    node.setAttribute("aria-label", S.fmt("Chart of {label}", { label }));
    state.chart = window.QTS_CHART.draw(node, { x, y, flags, unit, label, onPick });
    const counts = { 3: 0, 4: 0 };
    flags.forEach((f) => (f in counts ? counts[f]++ : null));
    document.getElementById("review-stats").textContent = S.fmt("{n} values, {s} suspect, {b} bad", {
      n: QT.fmtNumber(x.length, 0), s: counts[3], b: counts[4],
    });
  }

  async function show() {
    const st = selected();
    const parameter = form.parameter.value;
    if (!st || !parameter) {
      S.say(message, t("Choose a station and a parameter."), "error");
      return;
    }
    const p = period();
    if (!p) return;
    message.hidden = true;
    view.hidden = false; // drawn visible: the chart takes the width it is given
    try {
      if (st.kind === "periodic") showSamples(st, parameter, p);
      else await showSeries(st, parameter, p);
      const url = new URL(window.location.href);
      url.searchParams.set("station", st.code);
      url.searchParams.set("parameter", parameter);
      url.searchParams.set("from", form.from.value);
      url.searchParams.set("to", form.to.value);
      window.history.replaceState(null, "", url);
    } catch (err) {
      S.failed(message, err);
    }
  }

  // --- lab results (periodic stations) ---------------------------------------------------
  function showSamples(st, parameter, p) {
    state.shows++;
    const start = Date.parse(p.start), end = Date.parse(p.end);
    const rows = state.samples
      .filter((s) => Date.parse(s.sampled_at) >= start && Date.parse(s.sampled_at) < end)
      .flatMap((s) => s.results.filter((r) => r.parameter === parameter).map((r) => ({ ...r, sample: s })));
    const unit = rows.length ? rows[0].unit : "";
    document.getElementById("review-title").textContent = `${st.code} · ${parameter}` + (unit ? ` (${unit})` : "");
    chart(rows.map((r) => Date.parse(r.sample.sampled_at) / 1000), rows.map((r) => r.value), rows.map((r) => r.qc_flag), unit, parameter, null);
    state.shown = { kind: "periodic", rows };
    document.getElementById("review-values").replaceChildren(
      S.table(
        [
          { label: t("Sampled at"), value: (r) => QT.fmtDateTime(r.sample.sampled_at) },
          { label: t("Sample"), value: (r) => r.sample.sample_code },
          { label: t("Campaign"), value: (r) => r.sample.campaign },
          { label: t("Result"), value: (r) => (r.qualifier === "ND" ? t("not detected") : (r.qualifier || "") + QT.fmtNumber(r.value, 4)), num: true },
          { label: t("Unit"), value: (r) => r.unit },
          { label: t("Detection limit"), value: (r) => (r.detection_limit === null ? null : QT.fmtNumber(r.detection_limit, 4)), num: true },
          { label: t("Flag"), value: (r) => flagBadge(r.qc_flag) },
        ],
        rows,
        { cls: "values" }
      )
    );
    document.getElementById("review-actions").replaceChildren(
      el("p", { class: "msg info" }, t("Lab results are corrected by importing a corrected file; each changed result is recorded with its old and new value."), " ",
        el("a", { href: "/staff/import" }, t("Upload results")))
    );
    document.getElementById("review-periods").replaceChildren(el("p", { class: "muted" }, t("Review decisions apply to automatic series.")));
    document.getElementById("review-revisions").replaceChildren(el("p", { class: "muted" }, t("See the audit log for changes of lab results.")));
  }

  // --- automatic series ------------------------------------------------------------------
  async function showSeries(st, parameter, p) {
    const turn = ++state.shows;
    const ser = state.series.find((s) => s.parameter === parameter);
    if (!ser) return S.say(message, t("Choose a station and a parameter."), "error");
    const [data, trail] = await Promise.all([
      observations(st.code, parameter, p),
      QT.api(`workspace/series/${ser.id}/review?` + new URLSearchParams(p).toString()),
    ]);
    if (turn !== state.shows) return; // the person asked for something else meanwhile
    document.getElementById("review-title").textContent = `${st.code} · ${parameter} (${data.unit})`;
    const x = data.time.map((s) => Date.parse(s) / 1000);
    state.shown = { kind: "series", data, trail, series: ser, period: p };
    const fix = correctionForm(trail, data);
    chart(x, data.value, data.qc_flag, data.unit, parameter, fix ? (i) => fix.pick(i) : null);
    document.getElementById("review-actions").replaceChildren(...decisionForms(trail, p), fix ? fix.node : "");
    const flagged = data.time.map((time, i) => i).filter((i) => data.qc_flag[i] === 3 || data.qc_flag[i] === 4).slice(0, 500);
    document.getElementById("review-values").replaceChildren(
      S.table(
        [
          { label: t("Time"), value: (i) => QT.fmtDateTime(data.time[i]) },
          { label: t("Value"), value: (i) => QT.fmtNumber(data.value[i], 4), num: true },
          { label: t("Flag"), value: (i) => flagBadge(data.qc_flag[i]) },
          { label: "", value: (i) => (fix ? el("button", { type: "button", class: "small secondary", onclick: () => fix.pick(i) }, t("Correct")) : null) },
        ],
        flagged,
        { cls: "values" }
      )
    );
    trailTables(trail);
  }

  function trailTables(trail) {
    const states = { approved: ["approved", "ok"], reviewed: ["reviewed", "idle"], rejected: ["rejected", "bad"] };
    document.getElementById("review-periods").replaceChildren(
      S.table(
        [
          { label: t("Decision"), value: (d) => S.badge(t(states[d.state][0]), states[d.state][1]) },
          { label: t("From"), value: (d) => QT.fmtDateTime(d.start) },
          { label: t("To"), value: (d) => QT.fmtDateTime(d.end) },
          { label: t("By"), value: (d) => d.by },
          { label: t("At"), value: (d) => QT.fmtDateTime(d.at) },
          { label: t("Note"), value: (d) => d.note },
        ],
        trail.periods.slice().reverse(),
        { cls: "periods" }
      )
    );
    document.getElementById("review-revisions").replaceChildren(
      S.table(
        [
          { label: t("Value time"), value: (r) => QT.fmtDateTime(r.time) },
          { label: t("Old → new"), value: (r) => QT.fmtNumber(r.old_value, 4) + " → " + QT.fmtNumber(r.new_value, 4) },
          { label: t("Flag"), value: (r) => (r.old_flag ?? "—") + " → " + (r.new_flag ?? "—") },
          { label: t("Source"), value: (r) => r.source },
          { label: t("By"), value: (r) => r.changed_by },
          { label: t("At"), value: (r) => QT.fmtDateTime(r.changed_at) },
          { label: t("Reason"), value: (r) => r.reason },
        ],
        trail.revisions.slice().reverse(),
        { cls: "revisions" }
      )
    );
  }

  function field(label, input) {
    return el("label", {}, label, input);
  }

  /** Approve / review / reject the shown period, and override its flags (agency staff). */
  function decisionForms(trail, p) {
    if (!trail.can_approve) {
      return [el("p", { class: "muted" }, t("Approving data is for agency staff."))];
    }
    const stateSel = el("select", { name: "state", id: "decision-state" },
      el("option", { value: "approved" }, t("Approve (publish)")),
      el("option", { value: "reviewed" }, t("Reviewed, not published")),
      el("option", { value: "rejected" }, t("Reject")));
    const note = el("input", { name: "note", id: "decision-note", maxlength: "1000" });
    const go = el("button", { type: "submit", id: "decision-submit" }, t("Record the decision"));
    const decide = el("form", { class: "card", id: "decision-form" },
      el("h3", {}, t("Decision for the period shown")),
      el("p", { class: "muted small" }, QT.fmtDateTime(p.start) + " – " + QT.fmtDateTime(p.end)),
      field(t("Decision"), stateSel), field(t("Note"), note), go);
    decide.addEventListener("submit", (e) => {
      e.preventDefault();
      act(go, "periods", { state: stateSel.value, start: p.start, end: p.end, note: note.value.trim() || null }, t("Decision recorded."));
    });
    const flagSel = el("select", { name: "flag", id: "override-flag" },
      el("option", { value: "3" }, t("suspect (3)")), el("option", { value: "4" }, t("bad (4)")), el("option", { value: "1" }, t("good (1)")));
    const why = el("input", { name: "reason", id: "override-reason", required: "", maxlength: "1000" });
    const set = el("button", { type: "submit", class: "secondary" }, t("Set the flag"));
    const override = el("form", { class: "card", id: "override-form" },
      el("h3", {}, t("Flag every value of the period")),
      field(t("Flag"), flagSel), field(t("Reason"), why), set);
    override.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!why.value.trim()) return S.say(message, t("A reason is required."), "error");
      act(set, "overrides", { start: p.start, end: p.end, flag: Number(flagSel.value), reason: why.value.trim() }, t("Flags set."));
    });
    return [decide, override];
  }

  /** Correct one value: chosen by clicking the chart or a row; value and reason required. */
  function correctionForm(trail, data) {
    if (!trail.can_correct) return null;
    const when = el("output", { id: "correct-when" }, t("Click a point of the chart or a row below."));
    const old = el("output", { id: "correct-old" }, "—");
    const value = el("input", { name: "value", id: "correct-value", inputmode: "decimal", autocomplete: "off" });
    const remove = el("input", { type: "checkbox", id: "correct-remove" });
    const why = el("input", { name: "reason", id: "correct-reason", maxlength: "1000" });
    const save = el("button", { type: "submit", id: "correct-submit", disabled: "" }, t("Save the correction"));
    const node = el("form", { class: "card", id: "correct-form" },
      el("h3", {}, t("Correct a value")),
      el("p", {}, t("Time") + ": ", when, " · " + t("stored value") + ": ", old),
      field(t("New value"), value),
      el("label", { class: "inline" }, remove, " " + t("Remove the value (no valid measurement)")),
      field(t("Reason"), why), save);
    let index = null;
    node.addEventListener("submit", (e) => {
      e.preventDefault();
      const v = remove.checked ? null : S.parseNumber(value.value);
      if (index === null) return S.say(message, t("Choose a value first."), "error");
      if (v !== null && !Number.isFinite(v)) return S.say(message, t("The new value is not a number."), "error");
      if (v === null && !remove.checked) return S.say(message, t("Enter the new value."), "error");
      if (!why.value.trim()) return S.say(message, t("A reason is required."), "error");
      act(save, "corrections", { time: data.time[index], value: v, reason: why.value.trim() }, t("Value corrected."));
    });
    return {
      node,
      pick(i) {
        index = i;
        when.textContent = QT.fmtDateTime(data.time[i]);
        old.textContent = QT.fmtNumber(data.value[i], 4);
        value.value = data.value[i] === null ? "" : QT.fmtNumber(data.value[i], 6).replace(/\s/g, "");
        save.disabled = false;
        value.focus();
      },
    };
  }

  async function act(button, what, body, done) {
    const id = state.shown.series.id;
    await S.busy(button, async () => {
      try {
        await QT.api(`workspace/series/${id}/${what}`, { method: "POST", json: body });
        await show();
        S.say(message, done, "ok");
      } catch (err) {
        S.failed(message, err);
      }
    });
  }

  async function init() {
    try {
      state.stations = await QT.api("workspace/stations");
    } catch (err) {
      S.failed(message, err);
      return;
    }
    S.options(form.station, state.stations.map((s) => ({ value: s.code, label: S.stationLabel(s) })));
    const asked = new URLSearchParams(window.location.search);
    if (asked.get("station") && state.stations.some((s) => s.code === asked.get("station"))) form.station.value = asked.get("station");
    await pickStation();
    if (asked.get("parameter")) form.parameter.value = asked.get("parameter");
    if (asked.get("from")) form.from.value = asked.get("from");
    if (asked.get("to")) form.to.value = asked.get("to");
    if (asked.get("station") && form.parameter.value) await show();
  }

  form.station.addEventListener("change", pickStation);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    show();
  });
  init();
})();
