# The service.  Debian 12's own packages: the same FastAPI 0.92, SQLAlchemy 1.4,
# asyncpg 0.27 and uvicorn that the tests run with.  Build context: this folder.
# The app never touches the schema: the migrate service has run before it starts.
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      python3-fastapi python3-sqlalchemy python3-asyncpg python3-uvicorn \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10002 --user-group --no-create-home app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /srv
COPY app ./app
USER app
EXPOSE 8000
CMD ["python3", "-m", "uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
