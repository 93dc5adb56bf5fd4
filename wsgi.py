"""The WSGI entry point: `gunicorn wsgi:app`."""

from dotenv import load_dotenv

from surveyhub import create_app
from surveyhub.delivery.engine import start_embedded_worker

load_dotenv()
app = create_app()
if app.config["EMBEDDED_WORKER"]:  # the SQLite default: one worker thread in each server process
    start_embedded_worker(app)
