// iamkit report: sortable and searchable tables (progressive enhancement; tables are complete without it).
(function () {
  function cellText(row, i) { return (row.cells[i] && row.cells[i].innerText || "").trim(); }
  document.querySelectorAll("table.iamkit-table").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body) return;
    table.querySelectorAll("thead th").forEach(function (th, i) {
      th.title = "Sort";
      th.addEventListener("click", function () {
        var asc = th.dataset.sort !== "asc";
        th.dataset.sort = asc ? "asc" : "desc";
        Array.from(body.rows).sort(function (a, b) {
          var x = cellText(a, i), y = cellText(b, i), nx = parseFloat(x), ny = parseFloat(y);
          var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
          return asc ? c : -c;
        }).forEach(function (r) { body.appendChild(r); });
      });
    });
    if (body.rows.length > 10) {
      var input = document.createElement("input");
      input.className = "iamkit-search"; input.placeholder = "Search this table";
      input.addEventListener("input", function () {
        var q = input.value.toLowerCase();
        Array.from(body.rows).forEach(function (r) {
          r.style.display = r.innerText.toLowerCase().indexOf(q) >= 0 ? "" : "none";
        });
      });
      table.parentNode.insertBefore(input, table);
    }
  });
})();
