// The daemon's Prometheus-shaped HTTP API: one GET helper and the calls the dashboard makes.
// Every call resolves to the response's `data` or throws ApiError with the engine's message.

export class ApiError extends Error {
  constructor(message, errorType = "", status = 0) {
    super(message);
    this.name = "ApiError";
    this.errorType = errorType;
    this.status = status;
  }
}

// GET path?params; array values become repeated keys (match[]=a&match[]=b).
export async function getJson(path, params = {}, options = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) search.append(key, String(item));
    } else {
      search.append(key, String(value));
    }
  }
  const text = search.toString();
  const url = text ? `${path}?${text}` : path;
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" }, signal: options.signal });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(`request failed: ${err && err.message ? err.message : err}`, "network", 0);
  }
  let body = null;
  try {
    body = await response.json();
  } catch (_) {
    body = null;
  }
  if (body && body.status === "success") return body.data;
  if (body && typeof body.error === "string") {
    throw new ApiError(body.error, body.errorType || "", response.status);
  }
  throw new ApiError(`${response.status} ${response.statusText || "error"}`.trim(), "http",
                     response.status);
}

export function query(expr, time, options) {
  const params = { query: expr };
  if (time !== undefined && time !== null) params.time = time;
  return getJson("/api/v1/query", params, options);
}

export function queryRange(expr, start, end, step, options) {
  return getJson("/api/v1/query_range", { query: expr, start, end, step }, options);
}

export function labelNames() {
  return getJson("/api/v1/labels");
}

export function labelValues(name) {
  return getJson(`/api/v1/label/${encodeURIComponent(name)}/values`);
}

export function series(matchers, start, end) {
  const list = Array.isArray(matchers) ? matchers : [matchers];
  return getJson("/api/v1/series", { "match[]": list, start, end });
}

let dashboardPromise = null;

// /api/v1/dashboard's data, fetched once per page load.
export function dashboard() {
  if (!dashboardPromise) {
    dashboardPromise = getJson("/api/v1/dashboard").catch((err) => {
      dashboardPromise = null;
      throw err;
    });
  }
  return dashboardPromise;
}
