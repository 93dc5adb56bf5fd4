// The modal dialog, in a shadow root: page styles can't reach in and ours can't leak out.
import {h} from "./dom.js";
import {format} from "./logic.js";
import {renderInput} from "./questions.js";

/* global __CSS__ */
const CSS = __CSS__;
let sheet = null;

/** Parse the widget's styles once, ahead of the first open (a constructed sheet is shared by every root). */
export function prepareStyles() {
  if (!sheet && typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
}

/** Show the survey's dialog; `onDismiss` is called when the person closes it (Escape, ×).
 * With a `container`, the dialog is drawn inside it, not modal (a preview beside the page's own form). */
export function mount(survey, onDismiss, container) {
  const ui = survey.ui;
  const host = h("surveyhub-widget");
  const root = host.attachShadow({mode: "open"});
  prepareStyles();
  if (sheet && root.adoptedStyleSheets) {
    // A constructed sheet is not inline style: a host page's strict CSP (style-src) allows it.
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(h("style", {}, CSS));
  }
  const dismiss = (event) => { event.preventDefault(); onDismiss(); };
  const dialog = h("dialog", {lang: survey.locale, dir: survey.dir, "aria-labelledby": "sh-t", oncancel: dismiss,
    onkeydown(event) {
      if (event.key === "Escape") dismiss(event);
      if (event.key !== "Tab" || container) return;
      // Keep focus inside: the × button is always first and a footer button always last.
      const buttons = dialog.querySelectorAll("button");
      const [first, last] = [buttons[0], buttons[buttons.length - 1]];
      const active = root.activeElement;
      if (event.shiftKey ? active === first : active === last) {
        event.preventDefault();
        (event.shiftKey ? last : first).focus();
      }
    }});
  root.append(dialog);
  (container || document.body).append(host);
  // Focus follows the steps when the dialog is modal or already holds it: a preview redrawn while the
  // manager types elsewhere leaves their focus where it is.
  let takeFocus = true;
  const grab = (el) => { if (takeFocus) el.focus(); };

  /** Replace the dialog's content with one step: its body (holding #sh-t, the title) and footer buttons. */
  function step({body, buttons, progress, onSubmit}) {
    takeFocus = !container || dialog.contains(root.activeElement);
    const form = h("form", {novalidate: true, onsubmit(event) { event.preventDefault(); onSubmit(); }},
      [...body, h("div", {class: "f"}, buttons)]);
    dialog.replaceChildren(
      h("button", {type: "button", class: "x", "aria-label": ui.close, onclick: onDismiss}, "×"),
      progress || h("div", {class: "b"}),
      form);
    // Shown once its first step is in: one style and layout pass, not two.
    // In a container: opened by its attribute, as show() would but without moving focus into it.
    if (!dialog.open) container ? dialog.setAttribute("open", "") : dialog.showModal();
    return form;
  }

  return {
    /** Ask question `q`, number `n` of `total`; `onAnswer(answer | undefined)` when the person moves on. */
    question(q, n, total, onAnswer) {
      const label = format(ui.progress, {n, total});
      const fill = h("i");
      fill.style.width = `${(100 * (n - 1)) / total}%`;
      const progress = h("div", {class: "b", role: "progressbar", "aria-label": label, "aria-valuemin": 0,
        "aria-valuemax": total, "aria-valuenow": n - 1, "aria-valuetext": label}, [fill]);
      const next = h("button", {type: "submit", class: "p"});
      const input = renderInput(q, ui, () => update());
      const required = q.required !== false;
      const update = () => {
        const answer = input.get();
        // Never `disabled`: the last button must stay focusable for the focus trap and screen readers.
        next.setAttribute("aria-disabled", String(!answer && required));
        next.textContent = answer || required ? ui.next : ui.skip;
      };
      update();
      // The fieldset groups the inputs under the question for screen readers.
      const form = step({
        body: [n === 1 && survey.intro && h("p", {class: "i"}, survey.intro),
          h("fieldset", {}, [h("legend", {id: "sh-t", class: "q"}, q.text), q.help && h("p", {class: "h"}, q.help),
            input.el]),
          h("div", {class: "n", "aria-hidden": "true"}, label)],
        buttons: [next], progress,
        onSubmit() {
          const answer = input.get();
          if (answer || !required) onAnswer(answer);
        },
      });
      grab(form.querySelector("input,textarea") || next);
    },

    /** Show the save offer; `onDecide(accepted)`. */
    offer(offer, onDecide) {
      const accept = h("button", {type: "submit", class: "p"}, offer.accept_label || ui.accept);
      step({
        body: [h("h2", {id: "sh-t", class: "q"}, offer.title), offer.body && h("p", {class: "i"}, offer.body)],
        buttons: [h("button", {type: "button", class: "g", onclick: () => onDecide(false)},
          offer.decline_label || ui.decline), accept],
        onSubmit: () => onDecide(true),
      });
      grab(accept);
    },

    /** Thank the person; `onClose` when they close. */
    thanks(onClose) {
      const close = h("button", {type: "submit", class: "p"}, ui.done);
      step({body: [h("h2", {id: "sh-t", class: "q"}, survey.thanks || ui.done)], buttons: [close], onSubmit: onClose});
      grab(close);
    },

    remove() {
      dialog.close();
      host.remove();
    },
  };
}
