"""The real-estate service (a FastAPI application; only what the migrations need is here)."""
