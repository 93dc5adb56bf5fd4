// SurveyHub's in-app widget (CONTRACT §6): replaces the loader stub's window.SurveyHub and runs the
// calls it queued. Defines no other global.
import {prepareStyles} from "./dialog.js";
import {preview, run} from "./flow.js";
import {createOutbox} from "./outbox.js";

/* global __VERSION__ */

const LOCALE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/** "en_US" → "en-US", "EN" → "en"; undefined unless it then looks like a locale. */
function cleanLocale(locale) {
  const value = String(locale || "").replace(/_/g, "-").replace(/^[A-Za-z]+/, (lang) => lang.toLowerCase());
  return LOCALE.test(value) ? value : undefined;
}

const stub = window.SurveyHub;
if (!stub || !stub.version) {
  // Where widget.js came from is where the API is (unless init says otherwise).
  const src = document.currentScript?.src || "";
  const base = src.replace(/\/widget\.js([?#].*)?$/, "");
  let outbox = null;
  let config = null;
  let current = null;
  let previewing = null;

  const api = {
    version: __VERSION__,

    /** Set the org's key, the user, the host's userHash for them and (optionally) their locale. */
    async init(options) {
      const {key, user, userHash} = options || {};
      if (!key || !user || user.id == null || !userHash) {
        throw new Error("SurveyHub.init needs {key, user: {id}, userHash}");
      }
      config = {key, userHash, apiBase: options.apiBase || base,
        user: {id: String(user.id), email: user.email, phone: user.phone, attributes: user.attributes},
        locale: cleanLocale(options.locale || navigator.language)};
      outbox ||= createOutbox(window);
      prepareStyles();
    },

    /** Show a survey; resolves with {status, responseId, answers, offer} when it closes. */
    open(slug) {
      if (!config) return Promise.reject(new Error("SurveyHub.init must be called before open"));
      if (!current) {
        // A second open while one is showing (a double click) gets the same promise.
        current = run(config, String(slug), outbox);
        const clear = () => { current = null; };
        current.promise.then(clear, clear);
      }
      return current.promise;
    },

    /** Draw `survey`, shaped as GET /widget/v1/{key}/surveys/{slug} returns it, inside `options.container`
     * (modal without one) and send nothing; a new preview replaces the one showing (which resolves
     * "dismissed"). Resolves as open() does, with responseId null. Needs no init. */
    preview(survey, options) {
      previewing?.dismiss();
      previewing = preview(survey, options?.container);
      return previewing.promise;
    },

    /** Close the survey showing, as if the person had dismissed it. */
    async close() {
      current?.dismiss();
    },
  };

  window.SurveyHub = api;
  for (const [method, args, resolve, reject] of stub?.q || []) {
    (api[method] ? api[method](...args) : Promise.reject(new Error(`SurveyHub.${method} is unknown`)))
      .then(resolve, reject);
  }
}
