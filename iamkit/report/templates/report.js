// iamkit report: sortable, searchable and paged tables (progressive enhancement; every table is complete
// in the HTML, so printing and reading without JavaScript lose nothing; the index's failing findings beyond the
// first 500 sit in a <template> the script moves in, and a note says where all are). A table with data-page-size shows
// that many matching rows at a time, so an index of 500 accounts stays usable.
(function () {
  function cellText(row, i) { return (row.cells[i] && row.cells[i].innerText || "").trim(); }
  document.querySelectorAll("table.iamkit-table").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body) return;
    // rows kept in a <template> (a long index table): moved in hidden, so they are never laid out until shown
    var more = table.dataset.more && document.getElementById(table.dataset.more);
    if (more) {
      Array.from(more.content.querySelectorAll("tr")).forEach(function (r) { r.style.display = "none"; body.appendChild(r); });
      var note = table.parentNode.querySelector(".iamkit-more-note");
      if (note) note.style.display = "none";
    }
    var size = parseInt(table.dataset.pageSize || "0", 10), page = 0, query = "";
    var pager = null;
    function matching() {
      return Array.from(body.rows).filter(function (r) { return !query || r.innerText.toLowerCase().indexOf(query) >= 0; });
    }
    function show() {
      var rows = matching(), all = Array.from(body.rows);
      var pages = size > 0 ? Math.max(1, Math.ceil(rows.length / size)) : 1;
      if (page >= pages) page = pages - 1;
      all.forEach(function (r) { r.style.display = "none"; });
      rows.forEach(function (r, i) {
        if (size <= 0 || (i >= page * size && i < (page + 1) * size)) r.style.display = "";
      });
      if (pager) {
        pager.querySelector("span").textContent = rows.length + " of " + all.length + " rows" +
          (pages > 1 ? ", page " + (page + 1) + " of " + pages : "");
        pager.querySelectorAll("button").forEach(function (b) { b.style.display = pages > 1 ? "" : "none"; });
      }
    }
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
        show();
      });
    });
    if (body.rows.length > 10) {
      var input = document.createElement("input");
      input.className = "iamkit-search"; input.placeholder = "Filter this table";
      input.addEventListener("input", function () { query = input.value.toLowerCase(); page = 0; show(); });
      table.parentNode.insertBefore(input, table);
    }
    if (size > 0 && body.rows.length > size) {
      pager = document.createElement("div");
      pager.className = "iamkit-pager";
      pager.innerHTML = '<button type="button">previous</button><span></span><button type="button">next</button>';
      var b = pager.querySelectorAll("button");
      b[0].addEventListener("click", function () { if (page > 0) { page--; show(); } });
      b[1].addEventListener("click", function () { page++; show(); });
      table.parentNode.insertBefore(pager, table.nextSibling);
    }
    if (size > 0) show();
    // a link to a row's anchor (#f-...) from elsewhere must reveal it even on another page
    if (location.hash) {
      var target = document.getElementById(location.hash.slice(1));
      if (target && body.contains(target) && size > 0) {
        var idx = matching().indexOf(target.closest("tr"));
        if (idx >= 0) { page = Math.floor(idx / size); show(); target.scrollIntoView(); }
      }
    }
  });
})();
