/* Zhanye signing pad: the customer signs with a finger on a canvas, asks for the SMS code and
   confirms. Markup comes from the `signing` macro in templates/_signpad.html; the element holding
   data-sign-url carries the addresses and the messages in the page's language.
   The pad keeps the signature as paths in CSS pixels and repaints them whenever the canvas is
   resized (a tablet turned, the keyboard shown), so a resize never loses or smears ink. */
(function () {
  "use strict";

  function Pad(canvas) {
    var ctx = canvas.getContext("2d"), paths = [], current = null;
    function paint(path) {
      ctx.beginPath(); ctx.moveTo(path[0][0], path[0][1]);
      for (var i = 1; i < path.length; i++) { ctx.lineTo(path[i][0], path[i][1]); }
      ctx.stroke();
    }
    function fit() {
      var r = canvas.getBoundingClientRect(), ratio = window.devicePixelRatio || 1;
      var w = Math.round(r.width * ratio), h = Math.round(r.height * ratio);
      if (w < 1 || h < 1 || (w === canvas.width && h === canvas.height)) { return; }
      canvas.width = w; canvas.height = h;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
      paths.forEach(paint);
    }
    function pos(e) { var r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; }
    canvas.addEventListener("pointerdown", function (e) {
      canvas.setPointerCapture(e.pointerId); current = [pos(e)]; paths.push(current); e.preventDefault();
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!current) { return; }
      /* a busy tablet coalesces pointer moves into one event per frame: keep every point it carries */
      var events = (e.getCoalescedEvents && e.getCoalescedEvents().length) ? e.getCoalescedEvents() : [e];
      events.forEach(function (pe) { current.push(pos(pe)); });
      paint(current.slice(Math.max(0, current.length - events.length - 1)));
      e.preventDefault();
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (t) {
      canvas.addEventListener(t, function () { current = null; });
    });
    window.addEventListener("resize", fit);
    fit();
    return {
      points: function () { return paths.reduce(function (n, path) { return n + path.length; }, 0); },
      clear: function () {
        ctx.save(); ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.clearRect(0, 0, canvas.width, canvas.height); ctx.restore();
        paths = []; current = null;
      },
      png: function () { return canvas.toDataURL("image/png"); }
    };
  }

  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
                        body: JSON.stringify(body || {}) })
      .then(function (r) { return r.json().then(function (j) { return [r.status, j]; }); });
  }
  function problem(j) {
    return j.detail || (j.errors && j.errors.map(function (e) { return e.message; }).join("；")) || j.title;
  }

  function init(root) {
    var d = root.dataset, pad = Pad(root.querySelector("canvas"));
    var msg = root.querySelector("[data-role=message]"), code = root.querySelector("[data-role=code]");
    root.querySelector("[data-role=clear]").addEventListener("click", pad.clear);
    root.querySelector("[data-role=send-code]").addEventListener("click", function () {
      post(d.codeUrl).then(function (res) {
        if (res[0] === 200) {
          msg.textContent = d.textSent + (res[1].sandbox_code ? " " + d.textSandbox + ": " + res[1].sandbox_code : "");
        } else { msg.textContent = problem(res[1]); }
      });
    });
    root.querySelector("[data-role=sign]").addEventListener("click", function () {
      if (pad.points() < 5) { msg.textContent = d.textEmpty; return; }
      msg.textContent = d.textSigning;
      post(d.signUrl, { signature_png_base64: pad.png(), sms_code: code.value.trim() }).then(function (res) {
        if (res[0] === 200) { window.location.href = d.doneUrl; } else { msg.textContent = problem(res[1]); }
      });
    });
    root.dataset.ready = "1"; /* the pad listens from now on (tests wait for it before drawing) */
  }

  document.querySelectorAll("[data-sign-url]").forEach(init);
})();
