// Upload of periodic spreadsheets: the file's bytes go to POST /api/v1/workspace/imports (a
// dry run: the validation report), then …/imports/{id}/commit stores what was reported on.
(function () {
  "use strict";
  const QT = window.QT;
  const S = window.QTS;
  const { el, t } = QT;
  const form = document.getElementById("import-form");
  const message = document.getElementById("import-message");
  const out = document.getElementById("import-report");
  const SEVERITY = { error: ["error", "bad"], warning: ["warning", "warn"], info: ["note", "idle"] };

  function query(extra) {
    const q = new URLSearchParams({ lang: QT.lang, number_style: form.number_style.value });
    for (const name of ["campaign", "campaign_name", "station"]) {
      const v = form[name].value.trim();
      if (v) q.set(name, v);
    }
    for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
    return q.toString();
  }

  function rowsText(i) {
    if (!i.rows.length) return t("whole file");
    const more = i.row_count - Math.min(i.rows.length, 5);
    return i.rows.slice(0, 5).join(", ") + (more > 0 ? " … (+" + more + ")" : "");
  }

  function summary(r) {
    const c = r.counts;
    const pairs = [
      [t("File"), r.filename + (r.sheet ? " (" + r.sheet + ")" : "")],
      [t("Layout"), t(r.layout)],
      [t("Results read"), QT.fmtNumber(r.records_read, 0)],
      [t("Results accepted"), QT.fmtNumber(r.results_accepted, 0)],
      [t("Rows not stored"), QT.fmtNumber(r.rows_rejected, 0)],
      [t("Errors"), el("strong", { "data-testid": "error-count", class: r.errors ? "error" : "" }, String(r.errors))],
      [t("Warnings"), String(r.warnings)],
      [
        r.written ? t("Samples stored: new / updated / unchanged") : t("Samples a commit would store: new / updated / unchanged"),
        `${c.samples_new} / ${c.samples_updated} / ${c.samples_unchanged}`,
      ],
      [
        r.written ? t("Results stored: new / updated / unchanged") : t("Results a commit would store: new / updated / unchanged"),
        el("span", { "data-testid": "results-new" }, `${c.results_new} / ${c.results_updated} / ${c.results_unchanged}`),
      ],
      [t("Campaigns"), r.campaigns.join(", ") || "—"],
      [t("Stations"), r.stations.join(", ") || "—"],
    ];
    return el("dl", { class: "facts" }, pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  }

  function issues(r) {
    if (!r.issues.length) return el("p", { class: "msg ok", "data-testid": "no-issues" }, t("No problems found."));
    return S.table(
      [
        { label: t("Severity"), value: (i) => S.badge(t((SEVERITY[i.severity] || [i.severity])[0]), (SEVERITY[i.severity] || [0, "idle"])[1]) },
        { label: t("Row"), value: rowsText },
        { label: t("Column"), value: (i) => (i.column ? i.column + (i.column_name ? " (" + i.column_name + ")" : "") : null) },
        { label: t("Value"), value: (i) => i.value },
        { label: t("Problem"), value: (i) => i.message },
        { label: t("Suggestion"), value: (i) => i.suggestion },
      ],
      r.issues,
      { cls: "issues", rowAttrs: (i) => ({ "data-severity": i.severity }) }
    );
  }

  function exceedances(r) {
    if (!r.exceedances.length) return null;
    return el(
      "div",
      {},
      el("h3", {}, S.fmt("Exceedances of QCVN limits ({n})", { n: r.exceedances.length })),
      S.table(
        [
          { label: t("Row"), value: (e) => String(e.row) },
          { label: t("Station"), value: (e) => e.station },
          { label: t("Sampled at"), value: (e) => QT.fmtDateTime(e.sampled_at) },
          { label: t("Parameter"), value: (e) => e.parameter },
          { label: t("Result"), value: (e) => (e.qualifier && e.qualifier !== "ND" ? e.qualifier : "") + QT.fmtNumber(e.compared, 4) + " " + e.unit, num: true },
          { label: t("Limit"), value: (e) => (e.direction === "below_minimum" ? "≥ " : "≤ ") + QT.fmtNumber(e.limit, 4), num: true },
          { label: t("Regulation"), value: (e) => e.regulation + " " + e.column },
          { label: t("× limit"), value: (e) => QT.fmtNumber(e.ratio, 2), num: true },
        ],
        r.exceedances
      )
    );
  }

  function committed(r) {
    const c = r.counts;
    return el(
      "div",
      { class: "msg ok", role: "status", "data-testid": "commit-result" },
      el("p", {}, S.fmt("Stored: {sn} new and {su} updated samples, {rn} new and {ru} updated results.", {
        sn: c.samples_new, su: c.samples_updated, rn: c.results_new, ru: c.results_updated,
      })),
      r.stations.length
        ? el("p", {}, t("See the values in QC review:") + " ",
            ...r.stations.map((code) => el("a", { href: "/staff/review?station=" + encodeURIComponent(code), class: "chip" }, code)))
        : null
    );
  }

  function commitArea(r) {
    const area = el("div", { class: "commit card", id: "commit-area" });
    if (r.written) {
      area.append(committed(r));
      return area;
    }
    if (!r.committable) {
      area.append(el("p", { class: "msg error" }, t("Nothing from this file can be stored. Correct the file and upload it again.")));
      return area;
    }
    const mode = r.errors ? "accept-valid" : "strict";
    const label = r.errors ? t("Store the valid rows") : t("Commit: store the data");
    if (r.errors) {
      area.append(el("p", { class: "msg warn" }, S.fmt("{n} error(s): the rows and columns they concern will not be stored.", { n: r.errors })));
    }
    const button = el("button", { type: "button", id: "import-commit", "data-mode": mode }, label);
    button.addEventListener("click", () => commit(r, button, mode));
    area.append(button);
    return area;
  }

  function show(r) {
    out.hidden = false;
    out.replaceChildren(
      el("h2", {}, r.written ? t("Import result") : t("Validation report")),
      r.outcome ? el("p", { class: "muted" }, r.outcome) : null,
      summary(r),
      el("h3", {}, S.fmt("Problems ({n})", { n: r.issues.length })),
      issues(r),
      exceedances(r),
      commitArea(r)
    );
  }

  async function commit(r, button, mode) {
    await S.busy(button, async () => {
      try {
        const done = await QT.api(`workspace/imports/${r.raw_file_id}/commit?` + query({ mode }), { method: "POST" });
        message.hidden = true;
        show(done);
      } catch (err) {
        S.failed(message, err);
      }
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = form.file.files[0];
    if (!file) {
      S.say(message, t("Choose a CSV or XLSX file first."), "error");
      return;
    }
    const button = document.getElementById("import-check");
    await S.busy(button, async () => {
      S.say(message, t("Checking the file…"), "info");
      out.hidden = true;
      try {
        const body = await file.arrayBuffer();
        const r = await QT.api("workspace/imports?" + query({ filename: file.name }), {
          method: "POST",
          body,
          headers: { "Content-Type": "application/octet-stream" },
        });
        message.hidden = true;
        show(r);
      } catch (err) {
        S.failed(message, err);
      }
    });
  });

  async function init() {
    const media = S.config().media || [];
    const medium = document.getElementById("template-medium");
    S.options(medium, media.map((m) => ({ value: m.code, label: m.name })));
    const link = document.getElementById("template-link");
    const point = () => (link.href = "/api/v1/workspace/templates/" + encodeURIComponent(medium.value));
    medium.addEventListener("change", point);
    point();
    try {
      const stations = await QT.api("workspace/stations");
      S.options(form.station, stations.map((s) => ({ value: s.code, label: S.stationLabel(s) })), t("— from the file —"));
    } catch (err) {
      S.failed(message, err);
    }
  }

  init();
})();
