// The agent form's only script (CSP: no inline code). Without it the form still works; with it the
// result card follows the deposit live (server-sent events) and the player message can be copied.
"use strict";

(function () {
  const region = document.getElementById("card");

  // Replace the card, keeping keyboard focus on the same control when the card had it.
  function showCard(html) {
    const focused = document.activeElement;
    const focusedId = focused && region.contains(focused) ? focused.id : null;
    region.innerHTML = html;
    if (focusedId) {
      const again = document.getElementById(focusedId);
      if (again) again.focus();
    }
  }

  function stopFollowing(reason) {
    const note = region.querySelector("[data-following]");
    if (note && reason !== "final") {
      note.textContent = "Stopped updating. Check again to refresh.";
    } else if (note) {
      note.remove();
    }
  }

  function follow() {
    const url = region && region.dataset.events;
    if (!url || !window.EventSource) return;
    const source = new EventSource(url);
    source.addEventListener("card", (event) => showCard(event.data));
    // The server ends the stream once the verdict is final; without close() the browser would reconnect.
    source.addEventListener("end", (event) => {
      source.close();
      stopFollowing(event.data);
    });
  }

  async function copy(button) {
    const field = document.getElementById(button.dataset.copy);
    const status = document.getElementById(button.dataset.status);
    if (!field) return;
    let done = false;
    try {
      await navigator.clipboard.writeText(field.value);
      done = true;
    } catch (_) {
      // No clipboard API (plain http, or permission refused): copy the selected text instead.
      field.focus();
      field.select();
      done = document.execCommand("copy");
      button.focus();
    }
    if (status) status.textContent = done ? "Copied" : "Select the text and copy it";
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-copy]");
    if (button) copy(button);
  });

  follow();
})();
