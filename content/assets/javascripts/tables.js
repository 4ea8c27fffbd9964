// Make every content table sortable by clicking its header (vendored tablesort, no CDN).
// Material swaps pages without reloading, so run on each page load via document$.
document$.subscribe(function () {
  document.querySelectorAll("article table:not([class])").forEach(function (table) {
    if (table.tHead && !table.dataset.sortable) {
      table.dataset.sortable = "true";
      new Tablesort(table);
    }
  });
});
