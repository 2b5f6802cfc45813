"""Ingestion: landing files into the raw schema."""
