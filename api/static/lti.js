// elbo-grader LTI pages: forms that post themselves back to the LMS, and the
// LTI client-side postMessages that keep a login's state in the platform's storage.
"use strict";
(function () {
  document.querySelectorAll("form[data-auto-submit]").forEach(function (form) { form.submit(); });

  var storage = document.getElementById("lti-storage");
  if (!storage) return;
  var data = storage.dataset;
  var frame = data.target === "_parent" ? window.parent : window.parent.frames[data.target];
  var id = String(Math.random()).slice(2);
  var done = false;

  function finish(value) {
    if (done) return;
    done = true;
    if (data.subject === "lti.put_data") {
      window.location.assign(data.then);  // the cookie may still work: go on whatever the storage said
    } else if (value === data.value) {
      document.getElementById("lti-resubmit").submit();
    } else {
      document.querySelector(".lti-storage-failed").hidden = false;
    }
  }

  window.addEventListener("message", function (event) {
    var message = event.data;
    if (event.origin !== data.origin || !message || message.message_id !== id) return;
    if (message.subject === data.subject + ".response") finish(message.error ? null : message.value);
  });
  var message = { subject: data.subject, message_id: id, key: data.key };
  if (data.subject === "lti.put_data") message.value = data.value;
  // Sent again until answered: a storage frame still loading drops what reaches it (both messages are
  // idempotent, and only the first answer counts).
  function send() {
    if (done) return;
    frame.postMessage(message, data.origin);
    setTimeout(send, 200);
  }
  if (frame) send();
  setTimeout(function () { finish(null); }, frame ? 3000 : 0);
})();
