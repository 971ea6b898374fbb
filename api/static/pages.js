// elbo-grader pages: typeset the math, read answers as they are typed, move the plots' markers.
// Everything here enhances a page that works without it.
"use strict";
(function () {
  function typeset() {
    if (!window.renderMathInElement) return;
    document.querySelectorAll(".math").forEach(function (element) {
      window.renderMathInElement(element, {
        delimiters: [{ left: "$", right: "$", display: false }], throwOnError: false
      });
    });
  }

  // The live reading: the server's own reader, asked 300 ms after the last keystroke.
  function liveReading(form) {
    var url = form.dataset.readingUrl;
    form.querySelectorAll("input[type=text]").forEach(function (input) {
      var output = document.getElementById("reading-" + input.name);
      var timer = null, asked = 0;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var text = input.value, mine = ++asked;
          if (!text.trim()) { output.textContent = ""; output.classList.remove("bad"); return; }
          fetch(url + "?answer=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
            .then(function (response) { return response.json(); })
            .then(function (reading) {
              if (mine !== asked) return;  // a later keystroke's answer is on its way
              output.classList.toggle("bad", "error" in reading);
              output.textContent = "error" in reading
                ? "Cannot read: " + reading.error
                : "Reads as " + reading.value;
              output.dataset.reading = "error" in reading ? "error" : "value";
            })
            .catch(function () { output.textContent = ""; });
        }, 300);
      });
    });
    // One click is one submission (the server also stores a resent form once).
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      setTimeout(function () { button.disabled = true; }, 0);
    });
  }

  function plot(svg) {
    var data = JSON.parse(document.getElementById("elbo-data").textContent);
    var slider = document.getElementById("q-slider");
    var marker = document.getElementById("elbo-marker");
    var line = marker.querySelector("line"), dot = marker.querySelector("circle");
    var scale = data.scale;  // the SVG's own scale, from the server: no formula lives here
    var fields = {};
    document.querySelectorAll("#marker-values [data-value]").forEach(function (dd) { fields[dd.dataset.value] = dd; });
    function show(index) {
      var q = data.q[index], elbo = data.elbo[index];
      var x = scale.left + q * scale.width, y = scale.top + (scale.y_max - elbo) * scale.y_scale;
      line.setAttribute("x1", x); line.setAttribute("x2", x); line.setAttribute("y2", y);
      dot.setAttribute("cx", x); dot.setAttribute("cy", y);
      ["q", "elbo", "gap", "kl"].forEach(function (name) {
        marker.dataset[name] = String(data[name][index]);
        fields[name].textContent = data[name][index].toFixed(4);
      });
      slider.setAttribute("aria-valuetext", "q = " + q.toFixed(4) + ", ELBO " + elbo.toFixed(4) +
                          ", gap " + data.gap[index].toFixed(4));
    }
    function nearest(q) {
      var best = 0;
      data.q.forEach(function (value, i) { if (Math.abs(value - q) < Math.abs(data.q[best] - q)) best = i; });
      return best;
    }
    slider.addEventListener("input", function () { show(Number(slider.value)); });
    var dragging = false;
    function drag(event) {
      var box = svg.getBoundingClientRect();
      var q = ((event.clientX - box.left) * (scale.view_width / box.width) - scale.left) / scale.width;
      slider.value = nearest(Math.min(1, Math.max(0, q)));
      show(Number(slider.value));
    }
    svg.addEventListener("pointerdown", function (event) { dragging = true; svg.setPointerCapture(event.pointerId); drag(event); });
    svg.addEventListener("pointermove", function (event) { if (dragging) drag(event); });
    svg.addEventListener("pointerup", function () { dragging = false; });
    slider.closest(".explore").hidden = false;
  }

  // The β slider: every β's curve and maximiser come from the server; this only swaps the one shown.
  function betaPlot() {
    var curves = JSON.parse(document.getElementById("beta-data").textContent).curves;
    var slider = document.getElementById("beta-slider");
    var curve = document.getElementById("beta-curve");
    var marker = document.getElementById("beta-marker");
    var line = marker.querySelector("line"), dot = marker.querySelector("circle");
    var fields = {};
    document.querySelectorAll("#marker-values [data-value]").forEach(function (dd) { fields[dd.dataset.value] = dd; });
    slider.addEventListener("input", function () {
      var shown = curves[Number(slider.value)];
      curve.setAttribute("d", shown.path);
      line.setAttribute("x1", shown.x); line.setAttribute("x2", shown.x); line.setAttribute("y2", shown.y);
      dot.setAttribute("cx", shown.x); dot.setAttribute("cy", shown.y);
      marker.dataset.beta = String(shown.beta);
      marker.dataset.maximiser = String(shown.maximiser);
      marker.dataset.maximum = String(shown.maximum);
      marker.dataset.atGiven = String(shown.at_given);
      ["beta", "maximiser", "maximum", "at_given"].forEach(function (name) {
        fields[name].textContent = shown[name].toFixed(4);
      });
      slider.setAttribute("aria-valuetext", "β = " + Number(shown.beta.toPrecision(4)) + ", maximum at q = " +
                          shown.maximiser.toFixed(4));
    });
    slider.closest(".explore").hidden = false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    typeset();
    var form = document.querySelector("form.answers");
    if (form) liveReading(form);
    var svg = document.getElementById("elbo-plot");
    if (svg) plot(svg);
    if (document.getElementById("beta-plot")) betaPlot();
  });
})();
