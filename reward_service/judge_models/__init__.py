"""The built-in judge specs: one TOML file per judge model, shipped as package data."""
