"""Tests with a real Celery worker process (and a fake external registry)."""
