// Draws the survey page's charts with the vendored Chart.js from the JSON the page embeds.
// Every label comes from that JSON and is drawn on a canvas: no survey string becomes HTML.
(function () {
  "use strict";
  var source = document.getElementById("stats-data");
  if (!source || typeof Chart === "undefined") { return; }
  var page = JSON.parse(source.textContent);
  var stats = page.stats;
  var trendSource = document.getElementById("trend-data");
  var trend = trendSource ? JSON.parse(trendSource.textContent) : {rate_axis: "% responded of reached"};
  var COLORS = {email: "#2563eb", sms: "#16a34a", widget: "#9333ea", web: "#ea580c", interview: "#0891b2"};
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;

  function draw(canvas, config) {
    new Chart(canvas, config);
    canvas.dataset.drawn = "1";
  }

  function bar(canvas, labels, values, colors) {
    draw(canvas, {
      type: "bar",
      data: {labels: labels, datasets: [{data: values, backgroundColor: colors || "#2563eb"}]},
      options: {plugins: {legend: {display: false}}, scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}
    });
  }

  var rate = document.getElementById("chart-rate");
  if (rate && stats.series) {
    var points = stats.series.points;
    var channels = Object.keys(stats.channels);
    draw(rate, {
      type: "line",
      data: {
        labels: points.map(function (p) { return p.start; }),
        datasets: channels.map(function (channel) {
          return {
            label: channel, borderColor: COLORS[channel], backgroundColor: COLORS[channel], spanGaps: true,
            data: points.map(function (p) {
              var r = p.channels[channel].response_rate;
              return r === null ? null : Math.round(r * 1000) / 10;
            })
          };
        })
      },
      options: {scales: {y: {beginAtZero: true, suggestedMax: 100, title: {display: true, text: trend.rate_axis}}}}
    });
  }

  // The NPS score per day or week (from the page's #trend-data, words translated there); gaps stay gaps.
  var nps = document.getElementById("chart-nps");
  if (nps && trend.nps) {
    draw(nps, {
      type: "line",
      data: {labels: trend.nps.map(function (p) { return p.start; }),
             datasets: [{label: trend.nps_label, borderColor: "#16a34a", backgroundColor: "#16a34a", spanGaps: true,
                         data: trend.nps.map(function (p) {
                           return p.score === null ? null : Math.round(p.score * 10) / 10;
                         })}]},
      options: {scales: {y: {suggestedMin: -100, suggestedMax: 100}}}
    });
  }

  // Cascades: the share answered by each step, stacked on what earlier steps had won, and where the rest
  // stopped. Every word comes translated in the page's #cascade-data JSON.
  var cascadeSource = document.getElementById("cascade-data");
  var cascadeChart = document.getElementById("chart-cascade");
  if (cascadeSource && cascadeChart) {
    var cascade = JSON.parse(cascadeSource.textContent);
    var percent = function (r) { return Math.round(r * 1000) / 10; };
    // What a step added: its answers over every cascade started (its cumulative minus the step before's).
    var addedOf = function (s) { return percent(s.responded / cascade.started); };
    var labels = cascade.steps.map(function (s) {
      return cascade.step_label.replace("{n}", s.step) + " · " + (cascade.channel_names[s.channel] || s.channel);
    });
    draw(cascadeChart, {
      type: "bar",
      data: {labels: labels, datasets: [
        {label: cascade.earlier, backgroundColor: "#93c5fd",
         data: cascade.steps.map(function (s) {
           return percent(s.cumulative_response_rate - s.responded / cascade.started);
         })},
        {label: cascade.added, backgroundColor: "#2563eb", data: cascade.steps.map(addedOf)}
      ]},
      options: {scales: {x: {stacked: true},
                         y: {stacked: true, beginAtZero: true, suggestedMax: 100,
                             title: {display: true, text: cascade.axis}}}}
    });
    var drop = document.getElementById("chart-cascade-drop");
    if (drop) {
      draw(drop, {
        type: "bar",
        data: {labels: labels, datasets: [
          {label: cascade.exhausted, backgroundColor: "#9ca3af", data: cascade.steps.map(function (s) { return s.exhausted; })},
          {label: cascade.cancelled, backgroundColor: "#dc2626", data: cascade.steps.map(function (s) { return s.cancelled; })}
        ]},
        options: {scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true, ticks: {precision: 0}}}}
      });
    }
  }

  page.questions.forEach(function (q) {
    var canvas = document.querySelector('canvas[data-chart="' + CSS.escape(q.id) + '"]');
    var summary = stats.questions[q.id];
    if (!canvas || !summary) { return; }
    if (q.type === "nps") {
      var scores = Object.keys(summary.distribution);
      bar(canvas, scores, scores.map(function (k) { return summary.distribution[k]; }),
          scores.map(function (k) { return k <= 6 ? "#dc2626" : (k <= 8 ? "#9ca3af" : "#16a34a"); }));
    } else if (q.type === "likert") {
      var points = Object.keys(summary.distribution);
      bar(canvas, points, points.map(function (k) { return summary.distribution[k]; }), "#0891b2");
    } else if (q.type === "multiple_choice") {
      // In the survey's order (the embedded JSON's keys are sorted), then choices only older versions had.
      var ids = q.order.concat(Object.keys(summary.distribution).filter(function (id) {
        return q.order.indexOf(id) < 0;
      }));
      draw(canvas, {
        type: "bar",
        data: {labels: ids.map(function (id) { return (q.labels && q.labels[id]) || id; }),
               datasets: [{data: ids.map(function (id) { return summary.distribution[id]; }),
                           backgroundColor: "#9333ea"}]},
        options: {indexAxis: "y", plugins: {legend: {display: false}},
                  scales: {x: {beginAtZero: true, ticks: {precision: 0}}}}
      });
    } else if (q.type === "yes_no") {
      draw(canvas, {
        type: "doughnut",
        data: {labels: ["Yes", "No"], datasets: [{data: [summary.yes, summary.no],
                                                  backgroundColor: ["#16a34a", "#dc2626"]}]}
      });
    }
  });
})();
