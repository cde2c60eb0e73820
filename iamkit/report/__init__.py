"""Reports: notebook helpers (tables, charts), rendering (HTML, PDF) and the run index."""
