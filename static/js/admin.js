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

// Django's tabular inlines (hours, services, counters on the office page) give
// their fields no label: the column header says what a field is, but only to
// the eye. Each field gets its column's name and its row's object as its
// accessible name, and the empty header over the rows' captions is hidden from
// assistive technology (axe: label, select-name, empty-table-header).
(function () {
  function labelInlineFields() {
    document.querySelectorAll(".tabular table").forEach(function (table) {
      const heads = Array.from(table.querySelectorAll("thead tr:last-child th"));
      heads.forEach(function (th) {
        if (th.classList.contains("original") && !th.textContent.trim()) th.setAttribute("aria-hidden", "true");
      });
      table.querySelectorAll("tbody tr.form-row").forEach(function (row) {
        const caption = row.querySelector("td.original p");
        const what = caption ? caption.textContent.trim() : "новая строка";
        Array.from(row.children).forEach(function (cell, index) {
          const head = heads[index];
          const name = head ? head.textContent.trim() : "";
          if (!name) return;
          cell.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (field) {
            if ((field.labels && field.labels.length) || field.getAttribute("aria-label")) return;
            field.setAttribute("aria-label", name + " — " + what);
          });
        });
      });
    });
  }
  window.addEventListener("load", function () {
    labelInlineFields();
    new MutationObserver(labelInlineFields).observe(document.body, { childList: true, subtree: true });
  });
})();
