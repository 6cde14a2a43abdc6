// The QC review chart (vendored uPlot): the values as a line, suspect (flag 3) and bad (flag 4)
// values drawn over it as coloured points, axes and legend in Vietnam time and the page's
// number format. Clicking a point reports its index (to correct that value).
(function () {
  "use strict";
  const QT = window.QT;
  const TZ = QT.TZ;
  const COLOURS = { line: "#1b5e20", suspect: "#ef8f00", bad: "#c62828" };
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });

  /** Axis labels in Vietnam time: "mm/yyyy" over long spans, else "dd/mm" at midnight and
   * "HH:MM" in between — day first whatever the browser's locale, as Vietnamese write dates. */
  function ticks(u, splits) {
    const long = u.scales.x.max - u.scales.x.min > 300 * 86400;
    return splits.map((s) => {
      const p = Object.fromEntries(parts.formatToParts(new Date(s * 1000)).map((x) => [x.type, x.value]));
      if (long) return `${p.month}/${p.year}`;
      return p.hour === "00" && p.minute === "00" ? `${p.day}/${p.month}` : `${p.hour}:${p.minute}`;
    });
  }

  /** Values at flagged indices, null elsewhere (uPlot draws nothing for null). */
  function only(values, flags, flag) {
    return values.map((v, i) => (flags[i] === flag ? v : null));
  }

  /**
   * Draw into `node`: x epoch seconds, y values, flags per value; `unit` for the axis.
   * Returns the uPlot instance (its `data` is what is drawn).
   */
  function draw(node, { x, y, flags, unit, label, onPick }) {
    node.replaceChildren();
    const few = x.length <= 200;
    const width = Math.max(280, node.clientWidth || 600);
    const opts = {
      width,
      height: Math.round(Math.min(360, Math.max(220, width * 0.45))),
      tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), TZ),
      cursor: { points: { size: 8 }, drag: { x: true, y: false } },
      legend: { live: true },
      scales: { x: { time: true } },
      axes: [
        { values: ticks, space: 70 },
        { label: unit, values: (u, splits) => splits.map((v) => QT.fmtNumber(v, 3)), size: 60 },
      ],
      series: [
        { label: QT.t("Time"), value: (u, v) => (v === null ? "—" : QT.fmtDateTime(v)) },
        {
          label: label,
          stroke: COLOURS.line,
          width: 1.5,
          spanGaps: false,
          points: { show: few, size: 6, fill: COLOURS.line },
          value: (u, v) => QT.fmtNumber(v, 4),
        },
        {
          label: QT.t("suspect"),
          stroke: COLOURS.suspect,
          width: 0,
          paths: () => null,
          points: { show: true, size: 9, fill: COLOURS.suspect, stroke: COLOURS.suspect },
          value: (u, v) => QT.fmtNumber(v, 4),
        },
        {
          label: QT.t("bad"),
          stroke: COLOURS.bad,
          width: 0,
          paths: () => null,
          points: { show: true, size: 9, fill: COLOURS.bad, stroke: COLOURS.bad },
          value: (u, v) => QT.fmtNumber(v, 4),
        },
      ],
    };
    const data = [x, y, only(y, flags, 3), only(y, flags, 4)];
    const chart = new window.uPlot(opts, data, node);
    if (onPick) {
      chart.over.addEventListener("click", () => {
        const i = chart.cursor.idx;
        if (i !== null && i !== undefined) onPick(i);
      });
    }
    return chart;
  }

  window.QTS_CHART = { draw };
})();
