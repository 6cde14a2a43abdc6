"""REST under /api/v1: one module per resource family; handlers stay thin over `queries/`."""
