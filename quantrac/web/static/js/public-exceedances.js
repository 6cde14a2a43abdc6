// Exceedances of QCVN limits: open episodes (or those closed in the last 30 days) of every
// visible station, newest first; an open episode without values for 48 hours says so.
(function () {
  "use strict";
  const QT = window.QT;
  const P = window.QTP;
  const cfg = P.config();
  const $ = (id) => document.getElementById(id);
  const state = { events: [], stations: new Map() };
  const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

  function limitText(d) {
    const bound = d.direction === "below_minimum" ? "≥ " + P.num(d.minimum) : "≤ " + P.num(d.maximum);
    return `${bound} ${d.unit || ""} (${P.averagingText(d.averaging)}, ${(d.regulation || "").replace("/BTNMT", "")})`;
  }

  function render() {
    const el = QT.el;
    const medium = $("f-medium").value;
    const province = $("f-province").value;
    const rows = state.events.filter((e) => {
      const st = state.stations.get(e.station);
      if (!st) return false;
      if (medium && st.medium !== medium) return false;
      return !province || P.currentProvince(st.province) === province;
    });
    $("ex-count").textContent = P.fmt("{n} exceedances", { n: QT.fmtNumber(rows.length, 0) });
    const body = $("exceedances").querySelector("tbody");
    if (!rows.length) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: 6, class: "muted" }, QT.t("No exceedances"))));
      return;
    }
    body.replaceChildren(
      ...rows.map((e) => {
        const st = state.stations.get(e.station);
        const d = e.details || {};
        const quiet = e.status === "open" && P.isStale(e.last_at);
        return el("tr", { "data-station": e.station, "data-status": quiet ? "quiet" : e.status },
          el("td", {}, P.stationLink(e.station, st.name), el("div", { class: "small muted" }, `${e.station} · ${P.provinceName(P.currentProvince(st.province))}`)),
          el("td", {}, P.parameterName(e.parameter)),
          el("td", {}, QT.fmtDateTime(e.started_at)),
          el("td", {}, QT.fmtDateTime(e.last_at),
            quiet ? el("div", { class: "stale-note" }, QT.t("no data since then")) : null,
            e.ended_at ? el("div", { class: "small muted" }, QT.t("back within the limit") + " " + QT.fmtDateTime(e.ended_at)) : null),
          el("td", { class: "num" }, `${P.num(e.peak_value)} ${d.unit || ""}`),
          el("td", { class: "hide-mobile small" }, limitText(d)));
      }),
    );
  }

  async function load() {
    const status = $("f-status").value;
    let path = "events?kind=exceedance&status=" + status + "&limit=2000";
    if (status === "closed") path += "&start=" + iso(Date.now() - 30 * 86400 * 1000);
    const events = await QT.api(path);
    // Ongoing first, then open ones whose station fell silent; newest first within each.
    const quiet = (e) => (e.status === "open" && P.isStale(e.last_at) ? 1 : 0);
    events.sort((a, b) => quiet(a) - quiet(b) || Date.parse(b.started_at) - Date.parse(a.started_at));
    state.events = events;
    render();
  }

  async function init() {
    const stations = await QT.api("stations");
    state.stations = new Map(stations.map((s) => [s.code, s]));
    const media = new Set(stations.map((s) => s.medium));
    P.fillSelect($("f-medium"), cfg.media.filter((m) => media.has(m.code)).map((m) => [m.code, m.name]));
    P.fillSelect($("f-province"), cfg.provinces.map((p) => [p.key, p.name]));
    $("f-status").addEventListener("change", () => load().catch((err) => QT.showError($("ex-count"), err)));
    $("f-medium").addEventListener("change", render);
    $("f-province").addEventListener("change", render);
    await load();
  }

  init().catch((err) => QT.showError($("ex-count"), err));
})();
