// Dashboard charts: data from the page's <script type="application/json" id="chart-data"> block
// (json_script), drawn with Chart.js. Clicking a bar, slice or point opens the explorer filtered to
// it. Colours come from CSS custom properties, so light and dark themes both read well; charts are
// redrawn when the theme changes. Every chart also has a text summary and a data table in the page.
(function () {
  "use strict";
  var charts = [];

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function colour(name) {
    return cssVar("--sm-" + name, "#888");
  }

  function coloursFor(dataset) {
    var names = dataset.colors || ["series-0"];
    var resolved = names.map(colour);
    return resolved.length === 1 ? resolved[0] : resolved;
  }

  function linkAt(spec, datasetIndex, index) {
    var dataset = datasetIndex < spec.datasets.length ? spec.datasets[datasetIndex] : spec.volume;
    return dataset && dataset.links ? dataset.links[index] : null;
  }

  // Release markers ("v1.2 patch") on a time chart: a dashed vertical line at each marker's
  // position on the category axis (a bucket index, fractional inside a week or a month) with its
  // label at the top. The same markers are listed under the chart as text.
  var markerLines = {
    id: "markerLines",
    afterDatasetsDraw: function (chart, args, options) {
      var items = options && options.items;
      var scale = chart.scales && chart.scales.x;
      if (!items || !items.length || !scale) return;
      var area = chart.chartArea;
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = options.color;
      ctx.fillStyle = options.color;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 4]);
      ctx.font = "11px sans-serif";
      ctx.textBaseline = "top";
      items.forEach(function (item, i) {
        var x = scale.getPixelForValue(item.position);
        if (!isFinite(x) || x < area.left - 1 || x > area.right + 1) return;
        ctx.beginPath();
        ctx.moveTo(x, area.top);
        ctx.lineTo(x, area.bottom);
        ctx.stroke();
        // Labels step down so neighbouring markers do not write over each other.
        var text = item.label.length > 24 ? item.label.slice(0, 23) + "\u2026" : item.label;
        var width = ctx.measureText(text).width;
        var left = x + 3 + width > area.right ? x - 3 - width : x + 3;
        ctx.fillText(text, left, area.top + 2 + (i % 3) * 13);
      });
      ctx.restore();
    }
  };

  function build(canvas, spec) {
    var text = cssVar("--pico-color", "#333");
    var grid = cssVar("--pico-muted-border-color", "#ddd");
    var opts = spec.options || {};
    var horizontal = opts.index_axis === "y";
    var datasets = spec.datasets.map(function (d) {
      var c = coloursFor(d);
      var out = { label: d.label, data: d.data, backgroundColor: c, borderColor: c };
      if (spec.type === "line") {
        out.fill = false;
        // An empty time step is null: the line breaks there instead of inventing a trend across it.
        out.spanGaps = false;
        out.tension = 0;
        out.pointRadius = 3;
        out.pointHoverRadius = 6;
      }
      if (spec.type === "doughnut") out.borderColor = cssVar("--pico-background-color", "#fff");
      if (spec.type === "scatter") out.pointRadius = 6;
      return out;
    });
    if (spec.volume) {
      // How many results each point stands on: bars on a second axis, behind the line.
      var bar = colour((spec.volume.colors || ["neutral"])[0]);
      datasets.push({
        type: "bar", label: spec.volume.label, data: spec.volume.data, yAxisID: "volume", order: 2,
        backgroundColor: /^#[0-9a-f]{6}$/i.test(bar) ? bar + "59" : bar, borderWidth: 0
      });
    }
    var scales = {};
    if (spec.type !== "doughnut") {
      var valueAxis = horizontal ? "x" : "y";
      var categoryAxis = horizontal ? "y" : "x";
      scales[valueAxis] = { stacked: !!opts.stacked, ticks: { color: text }, grid: { color: grid }, beginAtZero: true };
      scales[categoryAxis] = { stacked: !!opts.stacked, ticks: { color: text }, grid: { color: grid } };
      if (opts.y_min !== undefined) { scales.y.min = opts.y_min; scales.y.beginAtZero = false; }
      if (opts.y_max !== undefined) scales.y.max = opts.y_max;
      if (opts.x_max !== undefined) scales.x.max = opts.x_max;
      if (opts.y_title) scales.y.title = { display: true, text: opts.y_title, color: text };
      if (opts.x_title) scales.x.title = { display: true, text: opts.x_title, color: text };
      if (spec.type === "scatter") { scales.x.type = "linear"; scales.x.beginAtZero = false; }
      if (spec.volume) {
        scales.volume = {
          position: "right", beginAtZero: true, ticks: { color: text, precision: 0 },
          grid: { drawOnChartArea: false }, title: { display: true, text: spec.volume.label, color: text }
        };
      }
    }
    var plugins = [];
    if (spec.markers && spec.markers.length) plugins.push(markerLines);
    var config = {
      type: spec.type,
      plugins: plugins,
      data: { labels: spec.type === "scatter" ? undefined : spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : { duration: 300 },
        indexAxis: horizontal ? "y" : "x",
        scales: scales,
        plugins: {
          markerLines: { items: spec.markers || [], color: text },
          legend: { display: datasets.length > 1 || spec.type === "doughnut", labels: { color: text } },
          tooltip: {
            callbacks: {
              label: function (item) {
                var dataset = item.datasetIndex < spec.datasets.length ? spec.datasets[item.datasetIndex] : spec.volume;
                if (spec.type === "scatter") {
                  return spec.labels[item.dataIndex] + ": rating " + item.raw.x + ", sentiment " + item.raw.y;
                }
                var label = (dataset.label ? dataset.label + ": " : "") + item.formattedValue;
                if (dataset.counts) label += " (" + dataset.counts[item.dataIndex] + " results)";
                return label;
              },
              footer: function () { return "Click to see these results"; }
            }
          }
        },
        onClick: function (event, elements) {
          if (!elements.length) return;
          var url = linkAt(spec, elements[0].datasetIndex, elements[0].index);
          if (url) window.location.href = url;
        },
        onHover: function (event, elements) {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        }
      }
    };
    return new window.Chart(canvas, config);
  }

  function render() {
    var source = document.getElementById("chart-data");
    if (!source || !window.Chart) return;
    var specs = JSON.parse(source.textContent || "{}");
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var spec = specs[canvas.getAttribute("data-chart")];
      if (spec && !spec.empty) charts.push(build(canvas, spec));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    render();
    // The theme toggle changes data-theme on <html>: redraw with that theme's colours.
    new MutationObserver(render).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    if (window.matchMedia) {
      var scheme = window.matchMedia("(prefers-color-scheme: dark)");
      if (scheme.addEventListener) scheme.addEventListener("change", render);
    }
  });
  // Charts are canvases: resize them to the printed page before printing.
  window.addEventListener("beforeprint", function () { charts.forEach(function (chart) { chart.resize(); }); });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
})();
