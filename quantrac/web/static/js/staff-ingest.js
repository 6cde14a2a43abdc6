// The ingest monitor: recent raw files (/api/v1/workspace/raw-files) with quarantine reasons,
// and the replay button (POST …/raw-files/{id}/replay).
(function () {
  "use strict";
  const QT = window.QT;
  const S = window.QTS;
  const { el, t } = QT;
  const list = document.getElementById("ingest-files");
  const counts = document.getElementById("ingest-counts");
  const state = document.getElementById("ingest-state");
  const message = document.getElementById("ingest-message");
  const STATES = { received: ["Waiting", "idle"], parsed: ["Processed", "ok"], quarantined: ["Quarantined", "bad"] };

  function stateBadge(s) {
    const [label, kind] = STATES[s] || [s, "idle"];
    return S.badge(t(label), kind);
  }

  function reason(f) {
    if (!f.reason) return null;
    const where = [f.line ? S.fmt("line {n}", { n: f.line }) : null, f.field ? S.fmt("field {f}", { f: f.field }) : null].filter(Boolean);
    const first = f.reason.split("\n");
    return el(
      "span",
      { class: "reason" },
      (where.length ? where.join(", ") + ": " : "") + first[0],
      first.length > 1 ? el("span", { class: "muted" }, " " + S.fmt("(+{n} more)", { n: first.length - 1 })) : null
    );
  }

  async function replay(f, button) {
    await S.busy(button, async () => {
      try {
        const r = await QT.api(`workspace/raw-files/${f.id}/replay`, { method: "POST" });
        const text =
          r.state === "parsed"
            ? S.fmt("File {id} processed: {n} values stored.", { id: f.id, n: r.stored })
            : S.fmt("File {id} is still quarantined: {reason}", { id: f.id, reason: r.reason || "" });
        S.say(message, text, r.state === "parsed" ? "ok" : "error");
        await load();
      } catch (err) {
        S.failed(message, err);
      }
    });
  }

  function action(f) {
    if (f.state !== "quarantined" || !S.config().can_write) return null;
    if (f.source === "upload") return el("a", { href: "/staff/import" }, t("Upload page"));
    const button = el("button", { type: "button", class: "small", "data-replay": String(f.id) }, t("Replay"));
    button.addEventListener("click", () => replay(f, button));
    return button;
  }

  async function load() {
    try {
      const query = state.value ? `?state=${state.value}&limit=200` : "?limit=200";
      const data = await QT.api("workspace/raw-files" + query);
      counts.replaceChildren(
        ...Object.keys(STATES).map((s) =>
          el("div", { class: "tile " + STATES[s][1] }, el("strong", {}, String(data.counts[s] || 0)), t(STATES[s][0]))
        )
      );
      list.replaceChildren(
        S.table(
          [
            { label: "#", value: (f) => String(f.id), num: true },
            { label: t("Received"), value: (f) => QT.fmtDateTime(f.received_at) },
            { label: t("File"), value: (f) => el("code", {}, f.name) },
            { label: t("Source"), value: (f) => f.source + (f.sender ? " · " + f.sender : "") },
            { label: t("Station"), value: (f) => f.station },
            { label: t("State"), value: (f) => stateBadge(f.state) },
            { label: t("Reason / problems"), value: reason },
            { label: "", value: action },
          ],
          data.files,
          { rowAttrs: (f) => ({ "data-file": String(f.id), "data-state": f.state }) }
        )
      );
    } catch (err) {
      S.failed(list, err);
    }
  }

  state.addEventListener("change", load);
  document.getElementById("ingest-reload").addEventListener("click", load);
  load();
})();
