// CloudSage dashboard scripts: charts, uploads with progress, copy buttons.
// No inline scripts anywhere: the page's CSP allows only files from this origin.
(function () {
  "use strict";

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function axes() {
    var stroke = css("--muted"), grid = { stroke: css("--chart-grid"), width: 1 };
    return [
      { stroke: stroke, grid: grid, ticks: grid },
      { stroke: stroke, grid: grid, ticks: grid, size: 36, range: [0, 100] },
    ];
  }

  function forecastOpts(d, width) {
    var line = css("--chart-line"), high = css("--high");
    return {
      width: width, height: 220,
      scales: { x: { time: true }, y: { range: [0, 100] } },
      axes: axes(),
      legend: { show: false },
      series: [
        {},
        { label: "Score", stroke: line, width: 2 },
        { label: "Forecast", stroke: line, width: 2, dash: [6, 4] },
        { label: "Band low", stroke: "transparent", points: { show: false } },
        { label: "Band high", stroke: "transparent", points: { show: false } },
        { label: "High threshold", stroke: high, width: 1, dash: [3, 3], points: { show: false } },
      ],
      bands: [{ series: [4, 3], fill: css("--chart-band") }],
      cursor: { points: { size: 6 } },
    };
  }

  function drawChart(el) {
    if (!window.uPlot || el.dataset.drawn) return;
    var d;
    try { d = JSON.parse(el.dataset.series); } catch (e) { return; }
    var width = Math.max(260, el.clientWidth || el.parentNode.clientWidth || 600);
    var opts, data;
    var thr = d.x.map(function () { return d.threshold; });
    if (el.dataset.chart === "forecast") {
      opts = forecastOpts(d, width);
      data = [d.x, d.observed, d.mean, d.low, d.high, thr];
      // An ongoing episode's scenarios replace the mixed band (which spans
      // both): each one is a line with its own band.
      if (d.scenarios && d.scenarios.length) {
        opts.bands = [];
        d.scenarios.forEach(function (sc) {
          var color = css("--sc-" + sc.name) || css("--chart-line");
          var n = opts.series.length;
          opts.series.push(
            { label: sc.name, stroke: color, width: 1.5, dash: [2, 3], points: { show: false } },
            { label: sc.name + " low", stroke: "transparent", points: { show: false } },
            { label: sc.name + " high", stroke: "transparent", points: { show: false } });
          opts.bands.push({ series: [n + 2, n + 1], fill: css("--sc-" + sc.name + "-band") || css("--chart-band") });
          data.push(sc.mean, sc.low, sc.high);
        });
      }
    } else {
      opts = {
        width: width, height: 200,
        scales: { x: { time: true, range: [d.from, d.to] }, y: { range: [0, 100] } },
        axes: axes(),
        legend: { show: false },
        series: [
          {},
          { label: "Score", stroke: css("--chart-line"), width: 2, fill: css("--chart-band") },
          { label: "High threshold", stroke: css("--high"), width: 1, dash: [3, 3], points: { show: false } },
        ],
      };
      data = [d.x, d.score, thr];
    }
    el.dataset.drawn = "1";
    el.textContent = "";
    var plot = new uPlot(opts, data, el);
    var ro = window.ResizeObserver && new ResizeObserver(function () {
      var w = el.clientWidth;
      if (w && Math.abs(w - plot.width) > 4) plot.setSize({ width: w, height: opts.height });
    });
    if (ro) ro.observe(el);
  }

  function init(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-chart]").forEach(drawChart);
    (root.querySelectorAll ? root : document).querySelectorAll("[data-copy]").forEach(function (b) {
      if (b.dataset.bound) return;
      b.dataset.bound = "1";
      b.addEventListener("click", function () {
        var src = document.getElementById(b.dataset.copy);
        if (!src) return;
        src.select();
        var done = function () { b.textContent = "Copied"; setTimeout(function () { b.textContent = "Copy"; }, 1500); };
        if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(src.value).then(done, function () { document.execCommand("copy"); done(); });
        else { document.execCommand("copy"); done(); }
      });
    });
  }

  // Upload with a progress bar: the file goes straight to the ingest API as
  // multipart (streamed by the browser); on success the page shows the batch.
  function bindUpload() {
    var form = document.getElementById("upload-form");
    if (!form) return;
    var input = document.getElementById("file");
    var drop = document.getElementById("drop");
    var bar = document.getElementById("upload-progress");
    var status = document.getElementById("upload-status");
    ["dragenter", "dragover"].forEach(function (ev) {
      drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        send(e.dataTransfer.files[0]);
      }
    });
    form.addEventListener("submit", function (e) {
      if (!input.files.length) return;
      e.preventDefault();
      send(input.files[0]);
    });
    function send(file) {
      var fd = new FormData();
      fd.append("file", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.upload);
      xhr.setRequestHeader("Accept", "application/json");
      bar.hidden = false; bar.value = 0;
      status.textContent = "Uploading " + file.name + "…";
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round(100 * e.loaded / e.total);
          status.textContent = "Uploading " + file.name + ": " + bar.value + "%";
          if (e.loaded === e.total) status.textContent = "Analysing " + file.name + "…";
        }
      });
      xhr.addEventListener("load", function () {
        var body = {};
        try { body = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        if (xhr.status >= 200 && xhr.status < 300 && body.batch_id) {
          bar.value = 100;
          status.textContent = "Done: " + body.accepted + " lines accepted.";
          window.location.assign(window.location.pathname + "?batch=" + encodeURIComponent(body.batch_id));
        } else {
          bar.hidden = true;
          status.textContent = "Upload failed: " + (body.error || ("HTTP " + xhr.status));
        }
      });
      xhr.addEventListener("error", function () {
        bar.hidden = true;
        status.textContent = "Upload failed: the connection dropped.";
      });
      xhr.send(fd);
    }
  }

  // The live-update status: the htmx sse extension reports the stream's state.
  function bindLive() {
    var el = document.getElementById("live-status");
    if (!el) return;
    var text = el.querySelector(".live-text");
    var set = function (state, msg) { el.dataset.state = state; text.textContent = msg; };
    set("connecting", "Connecting live updates…");
    // Live means new logs appear as they arrive; over old data say so.
    var live = document.getElementById("stale-note") ? "Live updates on · no recent logs" : "Live";
    document.body.addEventListener("htmx:sseOpen", function () { set("open", live); });
    document.body.addEventListener("htmx:sseError", function () { set("offline", "Live updates paused: reconnecting…"); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    bindLive();
    init(document);
    bindUpload();
    if (window.htmx) window.htmx.onLoad(init);
  });
})();
