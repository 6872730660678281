// Admin additions (loaded on every admin page by templates/admin/base_site.html).
//
// Django's date and time widgets each add the same note «Примечание: ваше
// локальное время отстаёт от времени сервера…» under their field: a page with
// several date fields repeats it. Keep the first one and hide the rest, also
// for fields added later (a new inline row), which is why it watches the DOM.
"use strict";
(function () {
  function keepFirstTimezoneNote() {
    document.querySelectorAll(".timezonewarning").forEach(function (note, index) {
      if (index > 0 && !note.classList.contains("repeated-note")) note.classList.add("repeated-note");
    });
  }
  window.addEventListener("load", function () {
    keepFirstTimezoneNote();
    new MutationObserver(keepFirstTimezoneNote).observe(document.body, { childList: true, subtree: true });
  });
})();
