"""Front doors: HTTP (FastAPI) and gRPC over one service object."""
