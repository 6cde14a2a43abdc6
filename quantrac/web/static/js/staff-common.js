// Shared by the staff workspace pages: the page's config (role, catalogue choices), tables,
// messages, Vietnamese number input, dates → ISO instants in Vietnam time.
(function () {
  "use strict";
  const QT = window.QT;
  const { el, t } = QT;
  let cfg = null;

  function config() {
    if (!cfg) {
      const node = document.getElementById("qt-staff-config");
      cfg = node ? JSON.parse(node.textContent) : {};
    }
    return cfg;
  }

  /** "{n} stations" → translated with the values put in. */
  function fmt(key, values) {
    return t(key).replace(/\{(\w+)\}/g, (_, k) => (k in values ? String(values[k]) : ""));
  }

  /** An API error as a person reads it: the heading, the message, each problem. */
  function errorText(err) {
    const body = err && err.body;
    if (!body || typeof body !== "object") return (err && err.message) || t("Error");
    const head = QT.lang === "vi" && body.message_vi ? body.message_vi + ": " : "";
    const problems = (body.problems || [])
      .slice(0, 8)
      .map((p) => (p.where ? p.where + ": " : "") + p.message);
    return head + body.message + (problems.length ? " — " + problems.join("; ") : "");
  }

  /** Replace `box`'s content by a message (kind: ok | error | info). */
  function say(box, text, kind) {
    box.hidden = false;
    box.replaceChildren(
      el("p", { class: "msg " + (kind || "info"), role: kind === "error" ? "alert" : "status" }, text)
    );
  }

  function failed(box, err) {
    say(box, t("Error") + ": " + errorText(err), "error");
  }

  /**
   * A table: columns are {label, value(row) → text|node, num?: bool}. Empty → a "no data" row.
   * Rows can carry attributes through `rowAttrs(row)`.
   */
  function table(columns, rows, opts) {
    const o = opts || {};
    const head = el("tr", {}, columns.map((c) => el("th", { scope: "col", class: c.num ? "num" : null }, c.label)));
    const body = rows.length
      ? rows.map((r) =>
          el(
            "tr",
            o.rowAttrs ? o.rowAttrs(r) : {},
            columns.map((c) => {
              const v = c.value(r);
              return el("td", { class: c.num ? "num" : null, "data-label": c.label }, v === null || v === undefined ? "—" : v);
            })
          )
        )
      : [el("tr", {}, el("td", { colspan: String(columns.length), class: "muted" }, t("No data")))];
    return el("div", { class: "table-wrap" }, el("table", { class: "grid " + (o.cls || "") }, el("thead", {}, head), el("tbody", {}, body)));
  }

  function badge(text, kind) {
    return el("span", { class: "badge " + kind }, text);
  }

  /** Seconds → "2 giờ 5 phút" / "2 h 5 min" (days above 48 h). */
  function duration(s) {
    if (s === null || s === undefined) return "—";
    if (s < 60) return fmt("{n} s", { n: s });
    const m = Math.floor(s / 60);
    if (m < 60) return fmt("{n} min", { n: m });
    const h = Math.floor(m / 60);
    if (h < 48) return fmt("{h} h {m} min", { h, m: m % 60 });
    return fmt("{n} days", { n: Math.floor(h / 24) });
  }

  /** "25/11/2026" (dd/mm/yyyy, as Vietnamese write dates) → "2026-11-25"; null if invalid. */
  function parseDay(text) {
    const m = /^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$/.exec(text || "");
    if (!m) return null;
    const iso = `${m[3]}-${m[2].padStart(2, "0")}-${m[1].padStart(2, "0")}`;
    const d = new Date(iso + "T00:00:00Z");
    return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== iso ? null : iso;
  }

  /** "2026-11-25" → "25/11/2026". */
  function showDay(iso) {
    return iso ? iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4) : "";
  }

  /** A yyyy-mm-dd day as the start of that day in Vietnam (ISO with +07:00). */
  function dayStart(value) {
    return value ? value + "T00:00:00+07:00" : null;
  }

  /** The day after a yyyy-mm-dd, as yyyy-mm-dd (an inclusive "to" date → exclusive end). */
  function nextDay(value) {
    const d = new Date(value + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  }

  /** Today (or `offset` days from it) in Vietnam as yyyy-mm-dd, for date inputs. */
  function vnDay(offset) {
    const d = new Date(Date.now() + 7 * 3600e3 + (offset || 0) * 86400e3);
    return d.toISOString().slice(0, 10);
  }

  /**
   * A number typed by a person: Vietnamese "33,5" or "1.234,5"; English "33.5" or "1,234.5".
   * Returns NaN when it is not a number, null when empty.
   */
  function parseNumber(text) {
    let s = String(text || "").trim().replace(/\s/g, "");
    if (!s) return null;
    if (QT.lang === "vi") s = s.replace(/\./g, "").replace(",", ".");
    else s = s.replace(/,/g, "");
    return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) ? Number(s) : NaN;
  }

  /** Fill a <select> with options [{value, label}], keeping the current choice if present. */
  function options(select, items, placeholder) {
    const keep = select.value;
    select.replaceChildren(
      ...(placeholder !== undefined ? [el("option", { value: "" }, placeholder)] : []),
      ...items.map((i) => el("option", { value: i.value }, i.label))
    );
    if (items.some((i) => i.value === keep)) select.value = keep;
  }

  function stationLabel(s) {
    return s.code + " — " + s.name;
  }

  function provinceName(key) {
    return (key && config().unit_names && config().unit_names[key]) || key || "—";
  }

  /** Run an async action from a button, disabling it meanwhile. */
  async function busy(button, action) {
    button.disabled = true;
    try {
      return await action();
    } finally {
      button.disabled = false;
    }
  }

  window.QTS = {
    config, fmt, errorText, say, failed, table, badge, duration, parseDay, showDay, dayStart, nextDay, vnDay,
    parseNumber, options, stationLabel, provinceName, busy,
  };
})();
