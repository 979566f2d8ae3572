#!/bin/sh
# App Runner starts this script; the image copies it to /app/start.sh.
set -e

echo "Starting server on port ${PORT:-10000}"
exec uvicorn main:app --host 0.0.0.0 --port ${PORT:-10000} --log-level info
