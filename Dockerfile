FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.txt
# The processes run as an unprivileged user; collectstatic (the migrate
# service) writes into /app/staticfiles, a volume nginx reads.
RUN useradd --system --uid 10001 --home-dir /app queue \
    && mkdir -p /app/staticfiles && chown queue:queue /app/staticfiles
COPY . .
USER queue
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "queue_system.asgi:application"]
