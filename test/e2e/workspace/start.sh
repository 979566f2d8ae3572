#!/bin/sh
# App Runner runs this script (service.json); docker-compose.yml runs the image behind nginx.
set -e

echo "Starting server on port ${PORT:-8000}"
exec uvicorn app.main:app --host 0.0.0.0 --port ${PORT:-8000}
