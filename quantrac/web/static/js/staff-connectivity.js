// The connectivity board: /api/v1/workspace/connectivity (the stations the user manages),
// refreshed every minute.
(function () {
  "use strict";
  const QT = window.QT;
  const S = window.QTS;
  const { el, t } = QT;
  const board = document.getElementById("conn-board");
  const summary = document.getElementById("conn-summary");
  const filter = document.getElementById("conn-filter");
  const offlineOnly = document.getElementById("conn-offline");
  let rows = [];

  function status(r) {
    if (r.online === true) return S.badge(t("Online"), "ok");
    if (r.online === false) return S.badge(t("Offline"), "bad");
    return S.badge(t("Not connected"), "idle");
  }

  function completeness(r) {
    if (r.today_percent === null) return "—";
    const pct = r.today_percent;
    const kind = pct >= 80 ? "ok" : pct >= 50 ? "warn" : "bad";
    return el(
      "span",
      { class: "meter " + kind, title: S.fmt("{received} of {expected} records", { received: r.today_received, expected: r.today_expected }) },
      el("span", { class: "bar", style: "width:" + Math.min(100, pct) + "%" }),
      el("span", { class: "val" }, QT.fmtNumber(pct, 1) + " %")
    );
  }

  function render() {
    const q = filter.value.trim().toLowerCase();
    const shown = rows.filter(
      (r) =>
        (!offlineOnly.checked || r.online !== true) &&
        (!q || r.station.toLowerCase().includes(q) || r.name.toLowerCase().includes(q))
    );
    const online = rows.filter((r) => r.online === true).length;
    const offline = rows.filter((r) => r.online === false).length;
    summary.replaceChildren(
      el("div", { class: "tile" }, el("strong", {}, String(rows.length)), t("stations")),
      el("div", { class: "tile ok" }, el("strong", { "data-testid": "online-count" }, String(online)), t("online")),
      el("div", { class: "tile bad" }, el("strong", { "data-testid": "offline-count" }, String(offline)), t("offline")),
      el("div", { class: "tile idle" }, el("strong", {}, String(rows.length - online - offline)), t("never connected"))
    );
    board.replaceChildren(
      S.table(
        [
          { label: t("Station"), value: (r) => el("span", {}, el("strong", {}, r.station), el("br"), el("span", { class: "muted" }, r.name)) },
          { label: t("Status"), value: status },
          { label: t("Newest data"), value: (r) => QT.fmtDateTime(r.last_data_at) },
          { label: t("Delay"), value: (r) => S.duration(r.delay_s), num: true },
          { label: t("Last received"), value: (r) => QT.fmtDateTime(r.last_received_at) },
          { label: t("Today's completeness"), value: completeness },
        ],
        shown,
        { cls: "conn", rowAttrs: (r) => ({ "data-station": r.station }) }
      )
    );
  }

  async function load() {
    try {
      rows = await QT.api("workspace/connectivity");
      render();
      document.getElementById("conn-updated").textContent = t("Updated") + " " + QT.fmtDateTime(new Date().toISOString());
    } catch (err) {
      S.failed(board, err);
    }
  }

  filter.addEventListener("input", render);
  offlineOnly.addEventListener("change", render);
  load();
  setInterval(load, 60000);
})();
