// Building elements. Survey strings only ever reach the page as textContent or attribute values.

/** Create an element: `attrs` become attributes (on* become listeners); `kids` is text or nodes. */
export function h(tag, attrs = {}, kids = []) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else if (value != null && value !== false) el.setAttribute(name, value);
  }
  if (typeof kids === "string") el.textContent = kids;
  else el.append(...kids.filter(Boolean));
  return el;
}
