"""Rasa tracker store adapters (``tracker_store`` in endpoints.yml)."""
