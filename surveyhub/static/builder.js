// The survey builder: draws the definition as a form, serializes it back to the definition JSON and
// POSTs it; the server's schema is the only validation, and its errors are shown at their fields.
(function () {
  "use strict";
  var root = document.getElementById("builder");
  if (!root) return;
  var L = JSON.parse(document.getElementById("builder-labels").textContent);
  var ALL_LOCALES = JSON.parse(document.getElementById("builder-locales").textContent);
  var def = JSON.parse(document.getElementById("builder-definition").textContent);
  var TYPES = ["multiple_choice", "likert", "nps", "yes_no", "open"];
  var TYPE_FIELDS = {
    multiple_choice: ["choices", "multiple", "allow_other", "other_label"],
    likert: ["scale", "labels"], nps: ["labels"], yes_no: ["labels"], open: ["max_length", "placeholder"]
  };
  var OPERATORS = ["equals", "in", "not_in", "gte", "lte"];
  var editable = root.dataset.editable === "yes";
  var dirty = false;
  var uid = 0;

  // ---- the state: localized strings as {locale: text}, conditions as {mode, rows}
  var locales = [def.default_locale || "en"];
  function loc(value) {
    if (value === undefined || value === null) return {};
    if (typeof value === "string") { var o = {}; o[locales[0]] = value; return o; }
    Object.keys(value).forEach(function (l) { if (locales.indexOf(l) < 0) locales.push(l); });
    return Object.assign({}, value);
  }
  function cond(c) {
    if (!c) return null;
    var mode = c.all ? "all" : c.any ? "any" : "all";
    var parts = c.all || c.any || [c];
    // Deeper nesting than one all/any is kept as written (and edited in the JSON editor).
    if (parts.some(function (p) { return p.all || p.any; })) return { raw: c, rows: [] };
    return { mode: mode, rows: parts.map(function (p) {
      var op = OPERATORS.filter(function (o) { return o in p; })[0] || "equals";
      var v = p[op];
      return { question: p.question || "", op: op, text: Array.isArray(v) ? v.map(String).join(", ") : String(v === undefined ? "" : v) };
    }) };
  }
  var S = {
    slug: def.slug || "", name: def.name || "", default_locale: locales[0],
    intro: loc(def.intro), thanks: loc(def.thanks), settings: Object.assign({}, def.settings || {}),
    delivery: def.delivery ? JSON.parse(JSON.stringify(def.delivery)) : null,
    questions: (def.questions || []).map(function (q) {
      var out = Object.assign({}, q);
      ["text", "help", "other_label", "placeholder"].forEach(function (k) { out[k] = loc(q[k]); });
      out.labels = { min: loc((q.labels || {}).min), max: loc((q.labels || {}).max) };
      out.choices = (q.choices || []).map(function (c) { return { id: c.id, label: loc(c.label) }; });
      out.show_if = cond(q.show_if);
      return out;
    }),
    offers: (def.offers || []).map(function (o) {
      var out = { id: o.id, when: cond(o.when) || { mode: "all", rows: [] } };
      ["title", "body", "accept_label", "decline_label"].forEach(function (k) { out[k] = loc(o[k]); });
      return out;
    })
  };

  // ---- serializing back to the definition
  function outText(value, required) {
    var o = {};
    Object.keys(value).forEach(function (l) { if ((value[l] || "").trim()) o[l] = value[l]; });
    var keys = Object.keys(o);
    if (!keys.length) return required ? "" : undefined;
    // Only the default locale's text: a plain string, which every locale reads the same way.
    return keys.length === 1 && keys[0] === S.default_locale ? o[keys[0]] : o;
  }
  function parseValue(text, question) {
    var t = text.trim();
    var kind = question ? question.type : "";
    if (kind === "yes_no") return t === "true" ? true : t === "false" ? false : t;
    if ((kind === "nps" || kind === "likert") && /^-?\d+$/.test(t)) return parseInt(t, 10);
    return t;
  }
  function outCond(c) {
    if (c && c.raw) return c.raw;
    if (!c || !c.rows.length) return undefined;
    var parts = c.rows.map(function (r) {
      var q = S.questions.filter(function (x) { return x.id === r.question; })[0];
      var p = { question: r.question };
      if (r.op === "in" || r.op === "not_in") {
        p[r.op] = r.text.split(",").filter(function (s) { return s.trim(); }).map(function (s) { return parseValue(s, q); });
      } else if (r.op === "gte" || r.op === "lte") {
        p[r.op] = /^-?\d+$/.test(r.text.trim()) ? parseInt(r.text, 10) : r.text;
      } else {
        p[r.op] = parseValue(r.text, q);
      }
      return p;
    });
    if (parts.length === 1) return parts[0];
    var o = {}; o[c.mode] = parts; return o;
  }
  function put(o, key, value) { if (value !== undefined && value !== "" + undefined) o[key] = value; }
  function serialize() {
    var d = { slug: S.slug, name: S.name, default_locale: S.default_locale };
    put(d, "intro", outText(S.intro)); put(d, "thanks", outText(S.thanks));
    d.questions = S.questions.map(function (q) {
      var o = { id: q.id, type: q.type, text: outText(q.text, true) };
      put(o, "help", outText(q.help));
      o.required = !!q.required;
      put(o, "show_if", outCond(q.show_if));
      var f = TYPE_FIELDS[q.type] || [];
      if (q.type === "multiple_choice") {
        o.choices = q.choices.map(function (c) { return { id: c.id, label: outText(c.label, true) }; });
        o.multiple = !!q.multiple; o.allow_other = !!q.allow_other;
        if (q.allow_other) put(o, "other_label", outText(q.other_label));
      }
      if (f.indexOf("scale") >= 0) o.scale = parseInt(q.scale || 5, 10);
      if (f.indexOf("labels") >= 0) {
        var labels = {}; put(labels, "min", outText(q.labels.min)); put(labels, "max", outText(q.labels.max));
        if (Object.keys(labels).length) o.labels = labels;
      }
      if (q.type === "open") {
        if (q.max_length !== undefined && q.max_length !== "") o.max_length = /^\d+$/.test(String(q.max_length)) ? parseInt(q.max_length, 10) : q.max_length;
        put(o, "placeholder", outText(q.placeholder));
      }
      return o;
    });
    d.offers = S.offers.map(function (of) {
      var o = { id: of.id, when: outCond(of.when) || {}, title: outText(of.title, true) };
      ["body", "accept_label", "decline_label"].forEach(function (k) { put(o, k, outText(of[k])); });
      return o;
    });
    var settings = {};
    ["cooldown_days", "link_ttl_days", "sms_session_ttl_hours"].forEach(function (k) {
      var v = S.settings[k];
      if (v !== undefined && v !== "") settings[k] = /^\d+$/.test(String(v)) ? parseInt(v, 10) : v;
    });
    if (Object.keys(settings).length) d.settings = settings;
    if (S.delivery) d.delivery = S.delivery;
    return d;
  }

  // ---- drawing
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "on") Object.keys(attrs.on).forEach(function (ev) { e.addEventListener(ev, attrs.on[ev]); });
      else if (attrs[k] !== false && attrs[k] !== undefined) e.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    });
    (kids || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function changed() { dirty = true; refreshPublish(); previewSoon(); }
  function input(label, path, value, set, attrs) {
    var id = "f" + (++uid);
    var a = Object.assign({ id: id, "data-path": path, value: value === undefined ? "" : value, disabled: !editable,
      on: { input: function (e) { set(e.target.value); changed(); } } }, attrs || {});
    return el("div", { "class": "field" }, [el("label", { "for": id, text: label }), el("input", a)]);
  }
  function check(label, path, value, set) {
    var id = "f" + (++uid);
    return el("div", { "class": "field check" }, [
      el("input", { type: "checkbox", id: id, "data-path": path, checked: !!value, disabled: !editable,
        on: { change: function (e) { set(e.target.checked); changed(); redraw(); } } }),
      el("label", { "for": id, text: label })]);
  }
  function select(label, path, value, options, set) {
    var id = "f" + (++uid);
    var s = el("select", { id: id, "data-path": path, disabled: !editable,
      on: { change: function (e) { set(e.target.value); changed(); redraw(); } } },
      options.map(function (o) {
        var v = Array.isArray(o) ? o[0] : o;
        return el("option", { value: v, selected: String(v) === String(value), text: Array.isArray(o) ? o[1] : o });
      }));
    return el("div", { "class": "field" }, [el("label", { "for": id, text: label }), s]);
  }
  // A localized string: one input per locale, side by side in the translations mode.
  function text(label, path, value, required) {
    var cols = locales.map(function (l) {
      var id = "f" + (++uid);
      var empty = !(value[l] || "").trim();
      var mark = el("span", { "class": "missing-mark", text: empty && (required || l !== locales[0] && hasAny(value)) ? L.missing : "" });
      var inp = el("input", { id: id, lang: l, value: value[l] || "", "data-path": l === locales[0] ? path : path + "@" + l,
        "data-required": required && l === locales[0] ? "yes" : false, disabled: !editable,
        "class": empty ? "missing" : false,
        on: { input: function (e) {
          value[l] = e.target.value; var now = !e.target.value.trim();
          e.target.classList.toggle("missing", now);
          mark.textContent = now && (required || l !== locales[0]) ? L.missing : "";
          changed();
        } } });
      return el("div", { "class": "loc" + (l === locales[0] ? " default" : "") }, [
        el("label", { "for": id, text: label + " (" + l + ")" }), inp, mark]);
    });
    return el("div", { "class": "localized" }, cols);
  }
  function hasAny(value) { return Object.keys(value).some(function (l) { return (value[l] || "").trim(); }); }
  function button(label, action, cls) {
    return el("button", { type: "button", "class": cls || "secondary", disabled: !editable,
      on: { click: function () { action(); changed(); redraw(); } }, text: label });
  }
  function move(list, i, by) {
    var j = i + by; if (j < 0 || j >= list.length) return;
    var t = list[i]; list[i] = list[j]; list[j] = t;
  }
  function rowButtons(list, i, label) {
    return el("div", { "class": "row-buttons" }, [
      button(L.up, function () { move(list, i, -1); }), button(L.down, function () { move(list, i, 1); }),
      button(L.remove + (label ? " " + label : ""), function () { list.splice(i, 1); })]);
  }
  function condition(legend, path, c, earlier, set) {
    var box = el("fieldset", { "class": "condition", "data-path": path, tabindex: "-1" }, [el("legend", { text: legend })]);
    if (!c) c = { mode: "all", rows: [] };
    if (c.raw) {
      box.appendChild(el("p", { "class": "muted", text: L.nested }));
      box.appendChild(el("code", { text: JSON.stringify(c.raw) }));
      return box;
    }
    if (c.rows.length > 1) box.appendChild(select(L.match, path + ".mode", c.mode, [["all", L.all], ["any", L.any]], function (v) { c.mode = v; }));
    c.rows.forEach(function (r, i) {
      box.appendChild(el("div", { "class": "cond-row" }, [
        select(L.question, path + ".rows." + i + ".question", r.question, [["", "—"]].concat(earlier), function (v) { r.question = v; }),
        select(L.operator, path + ".rows." + i + ".op", r.op, OPERATORS, function (v) { r.op = v; }),
        input(L.value, path + ".rows." + i + ".value", r.text, function (v) { r.text = v; }, { title: L.values_hint }),
        button(L.remove, function () { c.rows.splice(i, 1); })]));
    });
    box.appendChild(button(L.add_condition, function () { c.rows.push({ question: "", op: "equals", text: "" }); set(c); }));
    return box;
  }
  function question(q, i) {
    var p = "questions." + i;
    var earlier = S.questions.slice(0, i).map(function (x) { return x.id; });
    var card = el("fieldset", { "class": "card question" }, [el("legend", { text: L.question + " " + (i + 1) })]);
    card.appendChild(el("div", { "class": "row" }, [
      input(L.id, p + ".id", q.id, function (v) { q.id = v; }),
      select(L.type, p + ".type", q.type, TYPES, function (v) {
        q.type = v;
        if (v === "multiple_choice" && !q.choices.length) q.choices.push({ id: "a", label: {} });
      }),
      check(L.required, p + ".required", q.required, function (v) { q.required = v; })]));
    card.appendChild(text(L.text, p + ".text", q.text, true));
    card.appendChild(text(L.help, p + ".help", q.help));
    if (q.type === "multiple_choice") {
      var box = el("fieldset", { "class": "choices", "data-path": p + ".choices", tabindex: "-1" }, [el("legend", { text: L.choices })]);
      q.choices.forEach(function (c, j) {
        box.appendChild(el("div", { "class": "choice" }, [
          input(L.choice_id, p + ".choices." + j + ".id", c.id, function (v) { c.id = v; }),
          text(L.label, p + ".choices." + j + ".label", c.label, true), rowButtons(q.choices, j)]));
      });
      box.appendChild(button(L.add_choice, function () { q.choices.push({ id: "c" + (q.choices.length + 1), label: {} }); }));
      card.appendChild(box);
      card.appendChild(el("div", { "class": "row" }, [
        check(L.multiple, p + ".multiple", q.multiple, function (v) { q.multiple = v; }),
        check(L.allow_other, p + ".allow_other", q.allow_other, function (v) { q.allow_other = v; })]));
      if (q.allow_other) card.appendChild(text(L.other_label, p + ".other_label", q.other_label));
    }
    if (q.type === "likert") card.appendChild(select(L.scale, p + ".scale", q.scale || 5, ["5", "7"], function (v) { q.scale = v; }));
    if (TYPE_FIELDS[q.type].indexOf("labels") >= 0) {
      card.appendChild(text(L.min_label, p + ".labels.min", q.labels.min));
      card.appendChild(text(L.max_label, p + ".labels.max", q.labels.max));
    }
    if (q.type === "open") {
      card.appendChild(input(L.max_length, p + ".max_length", q.max_length, function (v) { q.max_length = v; }, { inputmode: "numeric" }));
      card.appendChild(text(L.placeholder, p + ".placeholder", q.placeholder));
    }
    if (i > 0) card.appendChild(condition(L.show_if, p + ".show_if", q.show_if, earlier, function (c) { q.show_if = c; }));
    card.appendChild(rowButtons(S.questions, i, L.question.toLowerCase()));
    return card;
  }
  function offer(o, i) {
    var p = "offers." + i;
    var ids = S.questions.map(function (x) { return x.id; });
    return el("fieldset", { "class": "card offer" }, [el("legend", { text: L.offer + " " + (i + 1) }),
      input(L.id, p + ".id", o.id, function (v) { o.id = v; }),
      condition(L.when, p + ".when", o.when, ids, function (c) { o.when = c; }),
      text(L.title, p + ".title", o.title, true), text(L.body, p + ".body", o.body),
      text(L.accept_label, p + ".accept_label", o.accept_label), text(L.decline_label, p + ".decline_label", o.decline_label),
      rowButtons(S.offers, i)]);
  }
  function delivery() {
    var box = el("fieldset", { "class": "card", "data-path": "delivery", tabindex: "-1" }, [el("legend", { text: L.delivery })]);
    box.appendChild(check(L.no_plan, "delivery.none", !S.delivery, function (v) {
      S.delivery = v ? null : { steps: [{ channel: "email", wait_hours: 0 }], stop_on: "responded", after_widget: false };
    }));
    if (!S.delivery) return box;
    var d = S.delivery;
    d.steps.forEach(function (s, i) {
      box.appendChild(el("div", { "class": "row" }, [
        select(L.step + " " + (i + 1) + ": " + L.channel, "delivery.steps." + i + ".channel", s.channel, ["email", "sms"], function (v) { s.channel = v; }),
        input(L.wait_hours, "delivery.steps." + i + ".wait_hours", s.wait_hours, function (v) { s.wait_hours = /^\d+$/.test(v) ? parseInt(v, 10) : v; }, { inputmode: "numeric" }),
        rowButtons(d.steps, i)]));
    });
    box.appendChild(button(L.add_step, function () { d.steps.push({ channel: "sms", wait_hours: 24 }); }));
    box.appendChild(select(L.stop_on, "delivery.stop_on", d.stop_on || "responded", [["responded", L.stop_responded], ["completed", L.stop_completed]], function (v) { d.stop_on = v; }));
    box.appendChild(check(L.after_widget, "delivery.after_widget", d.after_widget, function (v) { d.after_widget = v; }));
    return box;
  }
  function form() {
    var f = el("form", { id: "builder-form", novalidate: true, "class": translating ? "translating" : "" });
    var top = el("fieldset", { "class": "card" }, [el("legend", { text: S.name || "—" }),
      el("div", { "class": "row" }, [
        input(L.name, "name", S.name, function (v) { S.name = v; }),
        input(L.slug, "slug", S.slug, function (v) { S.slug = v; }),
        select(L.default_locale, "default_locale", S.default_locale, locales, function (v) {
          locales.splice(locales.indexOf(v), 1); locales.unshift(v); S.default_locale = v;
        })]),
      text(L.intro, "intro", S.intro), text(L.thanks, "thanks", S.thanks)]);
    f.appendChild(top);
    var tools = el("div", { "class": "row translations-tools" }, [
      check(L.translate, "translating", translating, function (v) { translating = v; })]);
    if (editable) {
      var left = ALL_LOCALES.filter(function (l) { return locales.indexOf(l) < 0; });
      if (left.length) tools.appendChild(select(L.add_locale, "add_locale", "", [["", "—"]].concat(left), function (v) {
        if (v) { locales.push(v); translating = true; }
      }));
    }
    f.appendChild(tools);
    S.questions.forEach(function (q, i) { f.appendChild(question(q, i)); });
    f.appendChild(button(L.add_question, function () {
      S.questions.push({ id: "q" + (S.questions.length + 1), type: "open", text: {}, help: {}, required: false,
        labels: { min: {}, max: {} }, choices: [], other_label: {}, placeholder: {}, show_if: null });
    }));
    var offers = el("section", { "class": "offers" }, [el("h2", { text: L.offers })]);
    S.offers.forEach(function (o, i) { offers.appendChild(offer(o, i)); });
    offers.appendChild(button(L.add_offer, function () {
      S.offers.push({ id: "offer" + (S.offers.length + 1), when: { mode: "all", rows: [] }, title: {}, body: {}, accept_label: {}, decline_label: {} });
    }));
    f.appendChild(offers);
    var settings = el("fieldset", { "class": "card" }, [el("legend", { text: L.settings })]);
    ["cooldown_days", "link_ttl_days", "sms_session_ttl_hours"].forEach(function (k) {
      settings.appendChild(input(L[k], "settings." + k, S.settings[k], function (v) { S.settings[k] = v; }, { inputmode: "numeric" }));
    });
    f.appendChild(settings);
    f.appendChild(delivery());
    f.appendChild(el("div", { "class": "save-bar" }, [
      el("button", { type: "submit", id: "save", disabled: !editable, text: L.save }),
      el("div", { id: "builder-status", role: "status", "aria-live": "polite" })]));
    f.addEventListener("submit", function (e) { e.preventDefault(); save(); });
    return f;
  }
  var translating = false;
  var lastErrors = {};
  function redraw() {
    var old = document.getElementById("builder-form");
    var fresh = form();
    if (old) root.replaceChild(fresh, old); else root.appendChild(fresh);
    showErrors(lastErrors);
    refreshPublish();
  }

  // ---- errors at their fields
  function target(path) {
    var parts = path.split(".");
    while (parts.length) {
      var found = root.querySelector('[data-path="' + parts.join(".") + '"]');
      if (found) return found;
      parts.pop();
    }
    return null;
  }
  function showErrors(errors) {
    lastErrors = errors;
    root.querySelectorAll(".field-error").forEach(function (n) { n.remove(); });
    root.querySelectorAll("[aria-invalid]").forEach(function (n) { n.removeAttribute("aria-invalid"); n.removeAttribute("aria-describedby"); });
    var first = null;
    Object.keys(errors).forEach(function (path, i) {
      var t = target(path) || document.getElementById("save");
      var id = "err-" + i;
      var note = el("p", { "class": "field-error error", id: id, "data-error-for": path, text: errors[path] });
      t.setAttribute("aria-invalid", "true");
      t.setAttribute("aria-describedby", ((t.getAttribute("aria-describedby") || "") + " " + id).trim());
      if (t.tagName === "FIELDSET") t.insertBefore(note, t.children[1] || null); else t.insertAdjacentElement("afterend", note);
      if (!first) first = t;
    });
    return first;
  }
  function status(message, bad) {
    var s = document.getElementById("builder-status");
    s.textContent = message; s.className = bad ? "error" : "muted";
  }
  function save() {
    var xhr = fetch(root.dataset.saveUrl, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify(serialize()) });
    xhr.then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); })
      .then(function (r) {
        if (r.status === 201) { window.location.assign(r.body.url); return; }
        if (r.status === 200) {
          dirty = false; showErrors({}); status(L.saved);
          var pub = document.getElementById("publish");
          if (pub) pub.dataset.changes = r.body.has_unpublished_changes ? "yes" : "no";
          refreshPublish(); return;
        }
        var first = showErrors((r.body.error || {}).fields || {});
        status((r.body.error || {}).message + " " + L.not_saved, true);
        if (first) first.focus();
      });
  }
  // Publishing: only a saved definition, and only with every default-locale text filled.
  function refreshPublish() {
    var pub = document.getElementById("publish");
    if (!pub) return;
    var reason = document.getElementById("publish-reason");
    var incomplete = Array.prototype.some.call(root.querySelectorAll('[data-required="yes"]'), function (n) { return !n.value.trim(); });
    var why = incomplete ? L.missing_default : dirty ? L.unsaved : pub.dataset.changes === "no" ? reason.dataset.nothing : "";
    pub.disabled = !!why || !editable;
    reason.textContent = why || "";
  }

  // ---- the previews: the real widget (widget.js's SurveyHub.preview, which sends nothing) and the
  // hosted page (a form posted to the preview route, framed below). Both draw serialize(), unsaved.
  var pane = document.getElementById("preview");
  var previewLocale = document.getElementById("preview-locale");
  var previewTimer = 0;
  var previewRun = 0;
  function previewStatus(message) { document.getElementById("preview-status").textContent = message; }
  function previewSoon() { clearTimeout(previewTimer); previewTimer = setTimeout(drawPreview, 400); }
  function drawPreview() {
    var run = ++previewRun;
    fetch(pane.dataset.widgetUrl + "?locale=" + encodeURIComponent(previewLocale.value), { method: "POST",
      credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify(serialize()) })
      .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); })
      .then(function (r) {
        if (run !== previewRun) return;  // a newer draw is on its way
        if (r.status !== 200) {
          var fields = (r.body.error || {}).fields || {};
          previewStatus(L.preview_invalid + " " + Object.keys(fields).map(function (k) { return k + ": " + fields[k]; }).join("; "));
          return;
        }
        previewStatus("");
        window.SurveyHub.preview(r.body, { container: document.getElementById("widget-preview") }).then(function (result) {
          if (run === previewRun) previewStatus(result.status === "completed" ? L.preview_completed : L.preview_closed);
        });
      });
  }
  if (pane) {
    previewLocale.addEventListener("change", drawPreview);
    document.getElementById("preview-restart").addEventListener("click", drawPreview);
    document.getElementById("hosted-preview-form").addEventListener("submit", function (e) {
      e.target.elements.definition.value = JSON.stringify(serialize());
      e.target.elements.locale.value = previewLocale.value;
    });
  }

  var pub = document.getElementById("publish");
  var reasonNode = document.getElementById("publish-reason");
  if (pub) { pub.dataset.changes = pub.disabled ? "no" : "yes"; reasonNode.dataset.nothing = reasonNode.textContent; }
  var ro = document.getElementById("builder-readonly");
  if (ro) ro.hidden = true;
  redraw();
  if (pane) drawPreview();
})();
