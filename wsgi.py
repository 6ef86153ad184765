"""WSGI entry point: gunicorn -c python:arrowhead_lite.gunicorn_conf wsgi:app."""

from arrowhead_lite import create_app

app = create_app()
