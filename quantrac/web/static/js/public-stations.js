// The list of stations: filter by text, medium, province and type, sort by column, 50 a page.
// One call for the stations and one per index kind; filtering and paging happen here.
(function () {
  "use strict";
  const QT = window.QT;
  const P = window.QTP;
  const cfg = P.config();
  const PAGE = 50;
  const state = { stations: [], indices: new Map(), page: 0, sort: "code", dir: 1 };
  const $ = (id) => document.getElementById(id);
  const filters = { text: $("f-text"), medium: $("f-medium"), province: $("f-province"), kind: $("f-kind") };

  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
  }

  function matches(st) {
    const q = fold(filters.text.value.trim());
    if (q && !fold(st.code + " " + st.name).includes(q)) return false;
    if (filters.medium.value && st.medium !== filters.medium.value) return false;
    if (filters.province.value && P.currentProvince(st.province) !== filters.province.value) return false;
    if (filters.kind.value && st.kind !== filters.kind.value) return false;
    return true;
  }

  function key(st) {
    switch (state.sort) {
      case "name": return fold(st.name);
      case "medium": return P.mediumName(st.medium);
      case "province": return fold(P.provinceName(P.currentProvince(st.province)));
      case "index": {
        const row = state.indices.get(st.code);
        return row ? row.value : -1;
      }
      default: return st.code;
    }
  }

  function render() {
    const rows = state.stations.filter(matches);
    rows.sort((a, b) => {
      const ka = key(a), kb = key(b);
      return (ka < kb ? -1 : ka > kb ? 1 : 0) * state.dir || a.code.localeCompare(b.code);
    });
    const pages = Math.max(1, Math.ceil(rows.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    const slice = rows.slice(state.page * PAGE, (state.page + 1) * PAGE);
    const el = QT.el;
    $("stations").querySelector("tbody").replaceChildren(
      ...slice.map((st) =>
        el("tr", { "data-station": st.code },
          el("td", {}, P.stationLink(st.code, st.code)),
          el("td", {}, st.name),
          el("td", { class: "hide-mobile" }, P.mediumName(st.medium)),
          el("td", {}, P.provinceName(P.currentProvince(st.province))),
          el("td", { class: "hide-mobile" }, QT.t(st.kind === "automatic" ? "Automatic" : "Periodic")),
          el("td", {}, cfg.index_kinds[st.medium] ? P.indexBadge(state.indices.get(st.code)) : "—"))),
    );
    if (!slice.length) {
      $("stations").querySelector("tbody").replaceChildren(el("tr", {}, el("td", { colspan: 6, class: "muted" }, QT.t("No station matches"))));
    }
    $("list-count").textContent = P.fmt("{n} of {total} stations", { n: QT.fmtNumber(rows.length, 0), total: QT.fmtNumber(state.stations.length, 0) });
    $("page-info").textContent = P.fmt("Page {page} of {pages}", { page: state.page + 1, pages });
    $("prev").disabled = state.page === 0;
    $("next").disabled = state.page >= pages - 1;
    for (const th of document.querySelectorAll("th.sortable")) {
      th.setAttribute("aria-sort", th.dataset.sort === state.sort ? (state.dir > 0 ? "ascending" : "descending") : "none");
    }
    const q = new URLSearchParams();
    for (const [name, input] of Object.entries(filters)) if (input.value) q.set(name, input.value);
    if (state.page) q.set("page", String(state.page + 1));
    history.replaceState(null, "", location.pathname + (q.toString() ? "?" + q : ""));
  }

  async function init() {
    const [stations, indices] = await Promise.all([P.get("stations"), P.currentIndices()]);
    state.stations = stations;
    state.indices = indices;
    const media = new Set(stations.map((s) => s.medium));
    P.fillSelect(filters.medium, cfg.media.filter((m) => media.has(m.code)).map((m) => [m.code, m.name]));
    P.fillSelect(filters.province, cfg.provinces.map((p) => [p.key, p.name]));
    const q = new URLSearchParams(location.search);
    for (const [name, input] of Object.entries(filters)) input.value = q.get(name) || "";
    state.page = Math.max(0, (parseInt(q.get("page") || "1", 10) || 1) - 1);
    for (const input of Object.values(filters)) {
      input.addEventListener("input", () => { state.page = 0; render(); });
    }
    $("prev").addEventListener("click", () => { state.page -= 1; render(); });
    $("next").addEventListener("click", () => { state.page += 1; render(); });
    for (const th of document.querySelectorAll("th.sortable")) {
      th.addEventListener("click", () => {
        state.dir = state.sort === th.dataset.sort ? -state.dir : 1;
        state.sort = th.dataset.sort;
        render();
      });
    }
    render();
  }

  init().catch((err) => QT.showError($("list-count"), err));
})();
