// Shared by the public pages: the catalogue data the server put in the page (index
// categories and colours, provinces, media, parameter names) and the current VN_AQI / VN_WQI
// of every visible station, fetched from the public REST API.
(function () {
  "use strict";
  const QT = window.QT;
  const NO_INDEX = "#9e9e9e";
  let cfg = null;

  function config() {
    if (!cfg) {
      const node = document.getElementById("qt-config");
      cfg = node ? JSON.parse(node.textContent) : {};
    }
    return cfg;
  }

  /** "Showing {n} of {total}" → translated, with the values put in. */
  function fmt(key, values) {
    return QT.t(key).replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : ""));
  }

  function scaleOf(kind) {
    return kind && kind.startsWith("wqi") ? "wqi" : "aqi";
  }

  /** The category band (Decision 1459/1460 Bảng 1) holding an index value, or null. */
  function category(kind, value) {
    if (value === null || value === undefined) return null;
    const v = Math.round(value);
    return config().scales[scaleOf(kind)].find((c) => v >= c.min && v <= c.max) || null;
  }

  function isStale(time) {
    return Date.now() / 1000 - Date.parse(time) / 1000 > config().stale_after_s;
  }

  /** Black or white text, whichever reads better on a category colour. */
  function inkOn(hex) {
    const n = parseInt(hex.slice(1), 16);
    const lum = 0.299 * (n >> 16) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
    return lum > 150 ? "#111" : "#fff";
  }

  /**
   * GET from the API, taking the answer the page's <head> already asked for when there is one
   * (window.QT_PREFETCH); any failure is asked again through QT.api for its proper error.
   */
  async function get(path) {
    const full = path.startsWith("/") ? path : "/api/v1/" + path;
    const early = window.QT_PREFETCH && window.QT_PREFETCH[full];
    if (early) {
      delete window.QT_PREFETCH[full];
      try {
        const response = await early;
        if (response.ok) return await response.json();
      } catch (err) {
        // asked again below
      }
    }
    return QT.api(full);
  }

  /**
   * Current index per station code: for each medium, the first of its index kinds (hourly
   * VN_AQI, else daily; daily VN_WQI) with a value. /indices/latest gives each station's
   * newest row, which for a daily kind is today's and still empty; for those kinds the newest
   * row with a value in a short window (yesterday's) comes first. The server names the calls
   * (config.index_requests).
   */
  async function currentIndices() {
    const kindsByMedium = config().index_kinds;
    const requests = config().index_requests;
    const kinds = Object.keys(requests);
    const [latest, recent] = await Promise.all([
      Promise.all(kinds.map((k) => get(requests[k].latest))),
      Promise.all(kinds.map((k) => (requests[k].window ? get(requests[k].window) : []))),
    ]);
    const byKind = new Map();
    kinds.forEach((k, i) => {
      const rows = new Map(latest[i].map((r) => [r.station, r]));
      // Window rows come in (station, time) order: the last valued one is the newest.
      for (const r of recent[i]) {
        if (r.value !== null) rows.set(r.station, Object.assign({}, rows.get(r.station) || {}, r));
      }
      byKind.set(k, rows);
    });
    // A station has the kinds of its own medium only, so the medium's order decides.
    const out = new Map();
    for (const order of Object.values(kindsByMedium)) {
      for (const kind of order) {
        for (const [code, row] of byKind.get(kind) || []) {
          if (row.value !== null && !out.has(code)) out.set(code, row);
        }
      }
    }
    return out;
  }

  const AVERAGING_TEXT = {
    "single sample": "each value",
    "1h": "1-hour mean",
    "8h": "8-hour mean",
    "24h": "24-hour mean",
    year: "annual mean",
  };

  /** How a QCVN limit is averaged, in words. */
  function averagingText(a) {
    return QT.t(AVERAGING_TEXT[a] || a || "");
  }

  /** A measured value with enough digits to tell small concentrations apart (0,005 mg/L). */
  function num(value) {
    if (value === null || value === undefined) return "—";
    const a = Math.abs(value);
    const digits = a > 0 && a < 1 ? Math.min(6, 2 - Math.floor(Math.log10(a))) : 2;
    return QT.fmtNumber(value, digits);
  }

  /** When an index row holds: the hour it ends, or the local day of a daily index. */
  function indexWhen(row) {
    const t = Date.parse(row.time) / 1000;
    return row.kind.endsWith("_daily") ? QT.fmtDate(t - 1) : QT.fmtDateTime(t);
  }

  function currentProvince(key) {
    return (key && config().current_province[key]) || key || "";
  }

  function provinceName(key) {
    return (key && config().province_names[key]) || key || "—";
  }

  function mediumName(code) {
    const m = (config().media || []).find((x) => x.code === code);
    return m ? m.name : code;
  }

  function parameterName(code) {
    const names = config().parameters || {};
    return names[code] || code;
  }

  /** A coloured badge "87 · Trung bình" for an index row (or a grey "no index"). */
  function indexBadge(row) {
    const el = QT.el;
    if (!row || row.value === null) return el("span", { class: "idx-badge none" }, QT.t("No index"));
    const cat = category(row.kind, row.value);
    const colour = cat ? cat.colour : NO_INDEX;
    const stale = isStale(row.time);
    return el(
      "span",
      {
        class: "idx-badge" + (stale ? " stale" : ""),
        style: `background:${colour};color:${inkOn(colour)}`,
        title: (row.kind.startsWith("wqi") ? "VN_WQI" : "VN_AQI") + " · " + indexWhen(row),
        "data-category": cat ? cat.label_en : "",
      },
      `${QT.fmtNumber(row.value, 0)} · ${cat ? cat.label : "—"}`,
    );
  }

  function stationLink(code, name) {
    return QT.el("a", { href: "/stations/" + encodeURIComponent(code) }, name || code);
  }

  /** Fill a <select> with options, keeping its first ("all") option. */
  function fillSelect(select, options) {
    for (const [value, label] of options) select.appendChild(QT.el("option", { value }, label));
  }

  window.QTP = {
    NO_INDEX,
    config,
    get,
    fmt,
    category,
    isStale,
    inkOn,
    currentIndices,
    num,
    averagingText,
    indexWhen,
    currentProvince,
    provinceName,
    mediumName,
    parameterName,
    indexBadge,
    stationLink,
    fillSelect,
  };
})();
