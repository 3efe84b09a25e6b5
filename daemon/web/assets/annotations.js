// Annotations (Grafana's shape, from the analytics database) drawn as vertical markers on the
// line and stacked charts of a page. One GET /api/v1/annotations per refresh, shared by every
// panel of the page; nothing is requested when dashboard.features.analytics is off.

export class AnnotationStore {
  constructor(dashboard) {
    this.enabled = Boolean(dashboard && dashboard.features && dashboard.features.analytics);
    this.key = "";
    this.promise = null;
  }

  // The annotations of range, [{time (ms), timeEnd, text, tags}], fetched once per range.
  // Never rejects: an error gives no markers (and its message in .error).
  fetch(range) {
    if (!this.enabled) return Promise.resolve([]);
    const from = Math.floor(range.start * 1000);
    const to = Math.ceil(range.end * 1000);
    const key = `${from}:${to}`;
    if (key === this.key && this.promise) return this.promise;
    this.key = key;
    this.promise = fetch(`/api/v1/annotations?from=${from}&to=${to}`,
                         { headers: { Accept: "application/json" } })
      .then(async (response) => {
        const body = await response.json().catch(() => null);
        if (!response.ok || !Array.isArray(body)) {
          this.error = body && body.message ? body.message : `${response.status}`;
          return [];
        }
        this.error = "";
        return body.filter((a) => a && Number.isFinite(Number(a.time)));
      })
      .catch((err) => {
        this.error = err && err.message ? err.message : String(err);
        return [];
      });
    return this.promise;
  }
}

const MARKER = "rgba(214, 90, 49, 0.85)";
const REGION = "rgba(214, 90, 49, 0.10)";

// Draws the annotations on a uPlot chart (call from its "draw" hook); returns how many markers
// fell inside the chart's time range.
export function drawAnnotations(u, annotations) {
  if (!annotations || annotations.length === 0) return 0;
  const { ctx, bbox } = u;
  const min = u.scales.x.min;
  const max = u.scales.x.max;
  if (min === undefined || max === undefined || min === null || max === null) return 0;
  let drawn = 0;
  ctx.save();
  ctx.beginPath();
  ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
  ctx.clip();
  for (const a of annotations) {
    const t = Number(a.time) / 1000;
    const tEnd = Number(a.timeEnd) / 1000;
    if (t > max || (t < min && !(tEnd > min))) continue;
    const x = Math.round(u.valToPos(Math.max(t, min), "x", true)) + 0.5;
    if (tEnd > t) {
      const x2 = u.valToPos(Math.min(tEnd, max), "x", true);
      ctx.fillStyle = REGION;
      ctx.fillRect(x, bbox.top, Math.max(1, x2 - x), bbox.height);
    }
    if (t >= min) {
      ctx.strokeStyle = MARKER;
      ctx.lineWidth = Math.max(1, devicePixelRatio || 1);
      ctx.setLineDash([4 * (devicePixelRatio || 1), 3 * (devicePixelRatio || 1)]);
      ctx.beginPath();
      ctx.moveTo(x, bbox.top);
      ctx.lineTo(x, bbox.top + bbox.height);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = MARKER;
      ctx.beginPath();
      const s = 4 * (devicePixelRatio || 1);
      ctx.moveTo(x - s, bbox.top);
      ctx.lineTo(x + s, bbox.top);
      ctx.lineTo(x, bbox.top + s * 1.5);
      ctx.closePath();
      ctx.fill();
    }
    drawn += 1;
  }
  ctx.restore();
  return drawn;
}

// The annotation nearest to time t (seconds) within tolerance seconds, or null: for hover text.
export function annotationAt(annotations, t, tolerance) {
  let best = null;
  let bestDistance = tolerance;
  for (const a of annotations || []) {
    const start = Number(a.time) / 1000;
    const end = Number(a.timeEnd) / 1000;
    const distance = end > start && t >= start && t <= end ? 0 : Math.abs(t - start);
    if (distance <= bestDistance) {
      best = a;
      bestDistance = distance;
    }
  }
  return best;
}

export function annotationText(a) {
  const tags = Array.isArray(a.tags) && a.tags.length ? ` [${a.tags.join(", ")}]` : "";
  const when = new Date(Number(a.time)).toLocaleString();
  return `${when}${tags}\n${a.text || a.title || ""}`;
}
