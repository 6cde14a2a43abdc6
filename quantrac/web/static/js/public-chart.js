// Time-series chart of one parameter with the QCVN limit drawn as a line (uPlot), and the
// choice of which limit to draw: the rule whose averaging period matches what is plotted
// (a 24-h mean against the 24-h limit), labelled with that period so nobody reads an hourly
// value against a daily limit without being told.
(function () {
  "use strict";
  const QT = window.QT;
  const DAY = 86400;
  const VN_OFFSET = 7 * 3600;

  /** Which averaging periods to prefer for each aggregation of the chart, best first. */
  const PREFERENCE = {
    raw: ["single sample", "1h", "8h", "24h"],
    "1h": ["1h", "single sample", "8h", "24h"],
    "24h": ["24h", "single sample", "8h", "1h"],
    month: ["year", "24h", "single sample"],
  };

  const averagingText = (a) => window.QTP.averagingText(a);

  /** Local date (Asia/Ho_Chi_Minh) of an epoch second as "YYYY-MM-DD". */
  function localDate(epoch) {
    return new Date((epoch + VN_OFFSET) * 1000).toISOString().slice(0, 10);
  }

  function inForce(rule, epoch) {
    const day = localDate(epoch);
    return (!rule.valid_from || day >= rule.valid_from) && (!rule.valid_to || day <= rule.valid_to);
  }

  /** The rules to draw: those of the preferred averaging period (all columns of it). */
  function chooseRules(rules, aggregation) {
    for (const averaging of PREFERENCE[aggregation] || PREFERENCE.raw) {
      const found = rules.filter((r) => r.averaging === averaging);
      if (found.length) return found;
    }
    return [];
  }

  /**
   * Limit lines as uPlot series: one per column and bound (maximum, minimum), each a step
   * over time following the rules' validity dates (QCVN 05:2023 PM2.5 24 h: 50 → 45 µg/m³
   * on 01/01/2026). Returns [{label, bound, values}].
   */
  function limitLines(rules, times) {
    const byColumn = new Map();
    for (const r of rules) {
      if (!byColumn.has(r.column)) byColumn.set(r.column, []);
      byColumn.get(r.column).push(r);
    }
    const lines = [];
    const multi = byColumn.size > 1;
    for (const [column, group] of byColumn) {
      for (const bound of ["maximum", "minimum"]) {
        if (!group.some((r) => r[bound] !== null)) continue;
        const values = times.map((t) => {
          const rule = group.find((r) => inForce(r, t) && r[bound] !== null);
          return rule ? rule[bound] : null;
        });
        if (values.every((v) => v === null)) continue;
        const r0 = group[0];
        const label =
          `${r0.regulation.replace("/BTNMT", "")}${multi ? " " + column : ""} ` +
          `${bound === "maximum" ? QT.t("max.") : QT.t("min.")} (${averagingText(r0.averaging)})`;
        lines.push({ label, bound, values, rules: group });
      }
    }
    return lines;
  }

  function tickFormatter(span) {
    // A day (or month) is named once, at its first tick; a later tick of the same day shows
    // its time instead ("25/07 12:00 26/07 …", never "25/07 25/07 26/07").
    return (u, splits) => {
      let previous = null;
      return splits.map((t) => {
        if (t === null) return null;
        const hm = QT.fmtDateTime(t).slice(11);
        const day = span <= 400 * DAY ? QT.fmtDate(t).slice(0, 5) : QT.fmtDate(t).slice(3);
        const repeated = day === previous;
        previous = day;
        if (span <= 2 * DAY) return hm === "00:00" ? day : hm;
        if (!repeated) return day;
        return span <= 400 * DAY ? hm : "";
      });
    };
  }

  /**
   * Draw (or redraw) the chart into `box`. `data` = {times, values, label, unit, lines}.
   * Returns the uPlot instance.
   */
  function draw(box, data, previous) {
    if (previous) previous.destroy();
    box.replaceChildren();
    const span = data.times.length ? data.times[data.times.length - 1] - data.times[0] : DAY;
    const fmtV = (u, v) => (v === null || v === undefined ? "—" : window.QTP.num(v));
    const series = [
      { label: QT.t("Time"), value: (u, v) => (v === null ? "—" : QT.fmtDateTime(v)) },
      {
        label: `${data.label} (${data.unit})`,
        stroke: "#1b5e20",
        width: 1.5,
        fill: "rgba(27, 94, 32, 0.06)",
        spanGaps: false,
        points: { show: data.times.length <= 400, size: 4 },
        value: fmtV,
      },
      ...data.lines.map((line) => ({
        label: line.label,
        stroke: line.bound === "maximum" ? "#c62828" : "#ef6c00",
        width: 1.5,
        dash: [6, 4],
        points: { show: false },
        value: fmtV,
      })),
    ];
    const opts = {
      width: Math.max(280, box.clientWidth),
      height: window.innerWidth < 720 ? 240 : 320,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), QT.TZ),
      scales: { x: { time: true } },
      series,
      axes: [
        { values: tickFormatter(span), stroke: "#37474f", grid: { stroke: "#eceff1" } },
        { values: (u, splits) => splits.map((v) => window.QTP.num(v)), size: 56, stroke: "#37474f", grid: { stroke: "#eceff1" } },
      ],
      legend: { live: true },
      cursor: { points: { size: 6 } },
    };
    const chart = new uPlot(opts, [data.times, data.values, ...data.lines.map((l) => l.values)], box);
    return chart;
  }

  window.QTChart = { chooseRules, limitLines, draw, averagingText, localDate, tickFormatter };
})();
