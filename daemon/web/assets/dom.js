// Small DOM builders shared by every module. Text always goes in as textContent, never as
// markup: labels, error messages and annotations are untrusted, and the CSP forbids inline
// styles in markup anyway.

// <tag> with attributes set one by one, and optional text.
export function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

// <tag class="className"> with optional text (any value, shown as a string).
export function classed(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// Two digits: 7 -> "07" (clock times).
export function pad(n) {
  return String(n).padStart(2, "0");
}
