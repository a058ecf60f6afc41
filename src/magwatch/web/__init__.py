"""REST API and dashboard: one FastAPI app (``magwatch.web.app.create_app``), served by ``magwatch serve``."""
