// One input per question type. Each returns {el, get}: get() is the answer as [value, other_text?],
// or undefined while there is none (nothing chosen, "other" without its text, blank text).
import {h} from "./dom.js";
import {format} from "./logic.js";

let uid = 0;

function option(type, name, value, label, onChange, extra = {}) {
  const input = h("input", {type, name, value, onchange: onChange, ...extra});
  return [input, h("label", {class: "o"}, [input, h("span", {}, label)])];
}

function choices(q, ui, onChange) {
  const type = q.multiple ? "checkbox" : "radio";
  const list = q.choices.map((c) => [c.id, c.label]);
  if (q.allow_other) list.push(["other", q.other_label || ui.other]);
  const inputs = [];
  const labels = list.map(([id, label]) => {
    const [input, el] = option(type, q.id, id, label, () => { sync(); onChange(); });
    inputs.push(input);
    return el;
  });
  const other = h("input", {type: "text", class: "t", maxlength: 2000, placeholder: ui.other_placeholder,
    "aria-label": q.other_label || ui.other, oninput: onChange});
  const otherBox = inputs.find((i) => i.value === "other");
  const sync = () => { other.hidden = !otherBox || !otherBox.checked; };
  sync();
  return {
    el: h("div", {class: "c"}, [...labels, other]),
    get() {
      const picked = inputs.filter((i) => i.checked).map((i) => i.value);
      if (!picked.length) return;
      const value = q.multiple ? picked : picked[0];
      if (!picked.includes("other")) return [value];
      if (other.value.trim()) return [value, other.value];
    },
  };
}

function scale(q, onChange, pairs, ends) {
  const n = ++uid;
  const inputs = [];
  const cells = pairs.map(([value, label], i) => {
    // The end labels describe the end values to screen readers.
    const end = !ends ? null : i === 0 ? `sh-${n}-a` : i === pairs.length - 1 ? `sh-${n}-b` : null;
    const [input, el] = option("radio", q.id, value, label, onChange, {"aria-describedby": end});
    inputs.push(input);
    return el;
  });
  return {
    el: h("div", {}, [
      h("div", {class: "s"}, cells),
      ends && h("div", {class: "e", "aria-hidden": "true"},
        [h("span", {id: `sh-${n}-a`}, ends[0] || ""), h("span", {id: `sh-${n}-b`}, ends[1] || "")]),
    ]),
    get() {
      const picked = inputs.find((i) => i.checked);
      if (picked) return [q.type === "yes_no" ? picked.value === "1" : Number(picked.value)];
    },
  };
}

const range = (from, to) => Array.from({length: to - from + 1}, (_, i) => [from + i, String(from + i)]);

function text(q, ui, onChange) {
  const max = q.max_length || 2000;
  const n = ++uid;
  const count = h("div", {class: "n", id: `sh-${n}-n`});
  const box = h("textarea", {rows: 4, maxlength: max, placeholder: q.placeholder, "aria-describedby": count.id,
    "aria-labelledby": "sh-t", oninput: () => { update(); onChange(); }});
  const update = () => { count.textContent = format(ui.chars, {n: box.value.length, max}); };
  update();
  return {el: h("div", {}, [box, count]), get: () => (box.value.trim() ? [box.value] : undefined)};
}

/** Return the input for a question: {el, get}. */
export function renderInput(q, ui, onChange) {
  const labels = q.labels || {};
  if (q.type === "multiple_choice") return choices(q, ui, onChange);
  if (q.type === "likert") return scale(q, onChange, range(1, q.scale || 5), [labels.min, labels.max]);
  if (q.type === "nps") return scale(q, onChange, range(0, 10), [labels.min || ui.nps_min, labels.max || ui.nps_max]);
  if (q.type === "yes_no") return scale(q, onChange, [[1, ui.yes], [0, ui.no]]);
  return text(q, ui, onChange);
}
