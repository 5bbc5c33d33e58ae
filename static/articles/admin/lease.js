/*
 * Keeps the story's edit lease while its change form is open (see articles/locking.py).
 *
 * - Heartbeat: POST to the heartbeat URL every few seconds (data-interval) while the page is
 *   open, so others see "being edited by …" for exactly as long as someone is here.
 * - Release: on pagehide the lease is given back with navigator.sendBeacon, which survives the
 *   page going away but cannot set headers, so the CSRF token travels in the body. "seen" (the
 *   last renewal this page knows of) lets the server keep a lease that a newer page of the
 *   same user (a reload, "Save and continue editing") has renewed since.
 * - Take-over: when the heartbeat answers that someone else holds the story, a warning says
 *   who and since when, and the heartbeat stops.
 *
 * No external requests; nothing but the two URLs the page names.
 */
(function () {
  "use strict";

  const status = document.getElementById("lease-status");
  const warning = document.getElementById("lease-warning");
  if (!status || !warning || !window.fetch) {
    return;
  }
  const heartbeatUrl = status.dataset.heartbeatUrl;
  const releaseUrl = status.dataset.releaseUrl;
  const interval = Math.max(1, Number(status.dataset.interval) || 30) * 1000;
  let seen = status.dataset.seen || "";
  let timer = null;
  let lost = false;

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function body() {
    const data = new URLSearchParams();
    data.set("csrfmiddlewaretoken", csrfToken());
    data.set("seen", seen);
    return data;
  }

  function warn(message) {
    warning.querySelector("li").textContent = message;
    warning.hidden = false;
  }

  function clearWarning() {
    warning.hidden = true;
  }

  function stop() {
    if (timer !== null) {
      window.clearInterval(timer);
      timer = null;
    }
  }

  function start() {
    stop();
    timer = window.setInterval(beat, interval);
  }

  function offline() {
    const now = new Date();
    const clock = String(now.getHours()).padStart(2, "0") + ":" +
      String(now.getMinutes()).padStart(2, "0");
    warn("Cannot reach the server (" + clock + "). Others may see this story as free " +
      "until it answers again; your changes are still here.");
  }

  async function beat() {
    if (lost) {
      return;
    }
    let answer;
    try {
      const response = await fetch(heartbeatUrl, {
        method: "POST",
        body: body(),
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
      });
      // The admin answers a signed-out user with a redirect to its login page.
      if (response.status === 403 || response.redirected) {
        lost = true;
        stop();
        warn("You were signed out, or may no longer edit this story: your changes here " +
          "cannot be saved. Copy what you need, then sign in and reload the story.");
        return;
      }
      if (response.status === 404) {
        lost = true;
        stop();
        warn("This story has been deleted: your changes here cannot be saved. Copy what " +
          "you need before leaving the page.");
        return;
      }
      if (!response.ok) {
        offline();
        return;
      }
      answer = await response.json();
    } catch (error) {
      offline();
      return;
    }
    if (answer.held) {
      seen = answer.seen;
      clearWarning();
      return;
    }
    lost = true;
    stop();
    warn(answer.message);
  }

  window.addEventListener("pagehide", function () {
    stop();
    if (!lost && navigator.sendBeacon) {
      navigator.sendBeacon(releaseUrl, body());
    }
  });

  window.addEventListener("pageshow", function (event) {
    // Back from the back-forward cache: the lease was given back on the way out.
    if (event.persisted && !lost) {
      beat();
      start();
    }
  });

  start();
})();
