// Make every content table sortable by clicking its header (vendored tablesort, no CDN).
// Material swaps pages without reloading, so run on each page load via document$.

// Tablesort chooses a column's comparison from the cells that are on top when it sorts, so
// once "—" (no value) rises to the top, a numeric column falls back to text order (105 before
// 12). Columns holding only numbers, "—" or "40 planned" are marked numeric once, up front.
var NUMERIC_CELL = /^(—|-?\d+(\.\d+)?(\s+[a-z]+)?)$/;

// A cell's value without the column label it carries for the phone layout (.cell-label);
// tablesort sorts on data-sort when a cell has it.
function cellText(cell) {
  var label = cell.querySelector(".cell-label");
  var text = cell.textContent;
  if (label) {
    text = text.replace(label.textContent, "");
    cell.setAttribute("data-sort", text.trim());
  }
  return text.trim();
}

function markNumericColumns(table) {
  var rows = Array.prototype.slice.call(table.tBodies[0] ? table.tBodies[0].rows : []);
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, column) {
    var cells = rows.map(function (row) {
      return row.cells[column] ? cellText(row.cells[column]) : "";
    });
    var numbers = cells.filter(function (text) { return /^-?\d/.test(text); });
    if (numbers.length && cells.every(function (text) { return NUMERIC_CELL.test(text); })) {
      header.setAttribute("data-sort-method", "number");
    }
  });
}

document$.subscribe(function () {
  document.querySelectorAll("article table:not([class])").forEach(function (table) {
    if (table.tHead && !table.dataset.sortable) {
      table.dataset.sortable = "true";
      markNumericColumns(table);
      new Tablesort(table);
    }
  });
});
