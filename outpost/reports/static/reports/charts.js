// Draw every <canvas data-chart="ID"> from the JSON in the element #ID
// (written by outpost/reports/charts.py). Loaded with defer after Chart.js;
// pages work without it (tables show the same numbers), and no inline
// script or style is needed under the CSP.
(function () {
  "use strict";

  // Okabe–Ito colours, distinct for the common kinds of colour blindness,
  // then darker tones for charts with many series.
  var palette = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#6c757d", "#1b1b1b", "#8c6d1f"];
  var NARROW = 480; // px: a phone held upright

  function faded(colour) {
    // #rrggbb plus an alpha byte: a third of the strength.
    return /^#[0-9a-f]{6}$/i.test(colour) ? colour + "55" : colour;
  }

  function wrap(text, width) {
    // Break a long category name into lines at spaces, for narrow screens.
    var lines = [];
    var line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? line + " " + word : word;
      }
    });
    lines.push(line);
    return lines.length > 1 ? lines : text;
  }

  function labelsOf(spec, narrow) {
    return spec.labels.map(function (label) {
      if (label.indexOf("\n") >= 0) {
        return label.split("\n");
      }
      return spec.horizontal && narrow ? wrap(label, 14) : label;
    });
  }

  function isIncomplete(spec, index) {
    return (spec.incomplete || []).indexOf(index) >= 0;
  }

  function formatter(spec, locale) {
    var style = spec.percent
      ? { style: "percent", maximumFractionDigits: 1 }
      : { maximumFractionDigits: 2 };
    var format = new Intl.NumberFormat(locale || undefined, style);
    return function (value) {
      return value === null || value === undefined ? "—" : format.format(value);
    };
  }

  function datasetsOf(spec) {
    return spec.datasets.map(function (source, index) {
      var colour = source.colour || palette[index % palette.length];
      var dataset = { label: source.label, data: source.data, borderColor: colour };
      if (spec.type === "line") {
        dataset.backgroundColor = colour;
        dataset.borderWidth = 2;
        dataset.pointRadius = 3;
        dataset.segment = {
          borderDash: function (context) {
            return isIncomplete(spec, context.p1DataIndex) ? [5, 4] : undefined;
          }
        };
      } else {
        // Scriptable, so the legend (no data index) keeps the full colour.
        dataset.backgroundColor = function (context) {
          return context.type === "data" && isIncomplete(spec, context.dataIndex)
            ? faded(colour)
            : colour;
        };
        dataset.borderWidth = 0;
      }
      return dataset;
    });
  }

  function optionsOf(spec, width, locale) {
    var narrow = width < NARROW;
    // Short labels (months) all stay, upright, unless even three letters
    // would not fit; longer ones tilt or thin out as Chart.js decides.
    var short = spec.labels.every(function (label) {
      return label.split("\n").every(function (line) { return line.length <= 7; });
    });
    var upright = spec.horizontal || (short && width / spec.labels.length >= 24);
    var format = formatter(spec, locale);
    var valueAxis = {
      stacked: spec.stacked,
      beginAtZero: true,
      ticks: { precision: spec.percent ? undefined : 0, callback: format }
    };
    var size = narrow ? 11 : 12;
    var categoryAxis = {
      stacked: spec.stacked,
      ticks: {
        autoSkip: !upright,
        maxRotation: upright ? 0 : 50,
        font: { size: narrow && !spec.horizontal ? 10 : size }
      },
      grid: { display: false }
    };
    return {
      indexAxis: spec.horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: locale || undefined,
      font: { size: size },
      scales: spec.horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
      plugins: {
        legend: {
          position: "bottom",
          display: spec.datasets.length > 1,
          labels: { boxWidth: narrow ? 10 : 14, font: { size: size } }
        },
        tooltip: {
          callbacks: {
            title: function (items) {
              return items.length ? spec.longLabels[items[0].dataIndex] : "";
            },
            label: function (item) {
              return item.dataset.label + ": " + format(item.raw);
            }
          }
        }
      }
    };
  }

  function draw(canvas) {
    if (canvas.dataset.drawn) {
      return;
    }
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var spec = JSON.parse(source.textContent);
    spec.longLabels = spec.longLabels || spec.labels;
    var width = canvas.parentNode.clientWidth || window.innerWidth;
    var locale = document.documentElement.lang;
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: labelsOf(spec, width < NARROW), datasets: datasetsOf(spec) },
      options: optionsOf(spec, width, locale)
    });
    canvas.dataset.drawn = "yes";
  }

  function drawAll() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();
