FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LINKVAULT_DATA_DIR=/data

WORKDIR /srv/linkvault
# The pinned, hash-checked dependencies first (their own layer, rebuilt only when the lock
# changes), then linkvault itself without resolving anything again.
COPY requirements/runtime.txt ./requirements/runtime.txt
RUN pip install --no-cache-dir --require-hashes -r requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY app ./app
COPY archiver ./archiver
COPY index ./index
COPY examples ./examples
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
    && useradd --system --home /data linkvault \
    && mkdir -p /data && chown linkvault /data

USER linkvault
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["linkvault", "serve", "--host", "0.0.0.0", "--port", "8000"]
