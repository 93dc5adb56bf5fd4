  // the loader stub: queues calls (and hands back promises) until widget.js replaces it
  window.SurveyHub = window.SurveyHub || (function (q) {
    var s = {q: q};
    ["init", "open", "close"].forEach(function (m) {
      s[m] = function () { var a = arguments;
        return new Promise(function (res, rej) { q.push([m, a, res, rej]); }); };
    });
    return s;
  })([]);
