// Shared helpers of the portal's pages: API calls, Vietnamese formats, translations.
// Every page gets its data from the public REST API (/api/v1) with the session cookie.
(function () {
  "use strict";
  const lang = window.QT_LANG || "vi";
  const locale = lang === "vi" ? "vi-VN" : "en-GB";
  const TZ = "Asia/Ho_Chi_Minh";
  const dateFmt = new Intl.DateTimeFormat(locale, { timeZone: TZ, day: "2-digit", month: "2-digit", year: "numeric" });
  const timeFmt = new Intl.DateTimeFormat(locale, { timeZone: TZ, hour: "2-digit", minute: "2-digit", hour12: false });

  function t(key) {
    return (window.QT_MESSAGES && window.QT_MESSAGES[key]) || key;
  }

  /** Epoch seconds or ISO text → dd/mm/yyyy in Vietnam time. */
  function fmtDate(value) {
    if (value === null || value === undefined) return "—";
    const d = typeof value === "number" ? new Date(value * 1000) : new Date(value);
    return dateFmt.format(d);
  }

  function fmtDateTime(value) {
    if (value === null || value === undefined) return "—";
    const d = typeof value === "number" ? new Date(value * 1000) : new Date(value);
    return dateFmt.format(d) + " " + timeFmt.format(d);
  }

  /** Decimal comma in Vietnamese (1.234,5), decimal point in English. */
  function fmtNumber(value, digits) {
    if (value === null || value === undefined || !Number.isFinite(value)) return "—";
    return new Intl.NumberFormat(locale, { maximumFractionDigits: digits === undefined ? 2 : digits }).format(value);
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && (lang === "vi" ? body.message_vi || body.message : body.message)) || "HTTP " + status);
      this.status = status;
      this.body = body;
    }
  }

  /** fetch() against /api/v1 with the session cookie; writes carry the CSRF header. */
  async function api(path, options) {
    const opts = Object.assign({ method: "GET", headers: {} }, options || {});
    opts.credentials = "same-origin";
    if (opts.method !== "GET") opts.headers["X-Requested-With"] = "quantrac";
    if (opts.json !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(opts.json);
      delete opts.json;
    }
    const url = path.startsWith("/") ? path : "/api/v1/" + path;
    const response = await fetch(url, opts);
    const type = response.headers.get("content-type") || "";
    const body = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined) continue;
      node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return node;
  }

  function showError(container, err) {
    container.replaceChildren(el("p", { class: "error", role: "alert" }, t("Error") + ": " + err.message));
  }

  window.QT = { lang, locale, TZ, t, fmtDate, fmtDateTime, fmtNumber, api, ApiError, el, showError };
})();
