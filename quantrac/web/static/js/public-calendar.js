// The VN_AQI / VN_WQI history of a station as a calendar: one square per local day of the
// last year, coloured by the day's category (Decision 1459/1460 Bảng 1), grey without an index.
(function () {
  "use strict";
  const QT = window.QT;
  const P = window.QTP;
  const DAY = 86400;
  const VN_OFFSET = 7 * 3600;
  const WEEKS = 53;

  /** Local day number (days since 1970-01-01 in Vietnam) of a period that ends at `epoch`. */
  const dayOfEnd = (epoch) => Math.floor((epoch + VN_OFFSET - 1) / DAY);
  /** Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday). */
  const weekday = (day) => (day + 3) % 7;

  function render(rows, opts) {
    const section = document.getElementById("history");
    const grid = document.getElementById("calendar");
    const months = document.getElementById("calendar-months");
    const byDay = new Map(rows.map((r) => [dayOfEnd(Date.parse(r.time) / 1000), r]));
    const last = dayOfEnd(opts.anchor) - 1;
    const first = last - (WEEKS - 1) * 7 - weekday(last);
    const cells = [];
    const monthCells = [];
    let valued = 0;
    for (let day = first; day <= last; day++) {
      const r = byDay.get(day);
      const date = QT.fmtDate(day * DAY + 12 * 3600);
      const cat = r ? P.category(r.kind, r.value) : null;
      if (cat) valued += 1;
      cells.push(
        QT.el("div", {
          class: "day",
          style: cat ? `background:${cat.colour}` : null,
          title: r && r.value !== null ? `${date}: ${QT.fmtNumber(r.value, 0)} (${cat ? cat.label : "—"})` : `${date}: ${QT.t("no index")}`,
          "data-day": date,
          "data-category": cat ? cat.label_en : "",
        }),
      );
      if (weekday(day) === 0) {
        const d = new Date(day * DAY * 1000);
        const label = d.getUTCDate() <= 7 ? `${String(d.getUTCMonth() + 1).padStart(2, "0")}/${String(d.getUTCFullYear()).slice(2)}` : "";
        monthCells.push(QT.el("span", { style: "width:13px" }, label));
      }
    }
    grid.replaceChildren(...cells);
    months.replaceChildren(...monthCells);
    document.getElementById("history-title").textContent = P.fmt("{name} history, daily", { name: opts.name });
    document.getElementById("history-note").textContent = P.fmt("{n} days with an index, {from} – {to}", {
      n: QT.fmtNumber(valued, 0),
      from: QT.fmtDate(first * DAY + 12 * 3600),
      to: QT.fmtDate(last * DAY + 12 * 3600),
    });
    const scale = P.config().scales[opts.daily.startsWith("wqi") ? "wqi" : "aqi"];
    document.getElementById("history-legend").replaceChildren(
      ...scale.map((c) => QT.el("li", {}, QT.el("span", { class: "swatch square", style: `background:${c.colour}` }), c.label)),
    );
    section.hidden = false;
    // The newest days first in view on a narrow screen.
    const wrap = grid.closest(".calendar-wrap");
    if (wrap) wrap.scrollLeft = wrap.scrollWidth;
  }

  window.QTCalendar = { render, dayOfEnd, weekday };
})();
