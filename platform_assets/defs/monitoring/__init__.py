"""Monitoring: a daily asset per model with drift and performance, computed by Evidently."""
