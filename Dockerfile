FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 SPP_DATA_DIR=/var/lib/spp
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . \
 && mkdir -p /var/lib/spp \
 && DATABASE_URL=postgres://build@localhost/build DATABASE_MAINT_URL=postgres://build@localhost/build \
    DATABASE_OWNER_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    SPP_SECRET_KEY=build-only python manage.py collectstatic --noinput
EXPOSE 8000
# The operator import API (and admin uploads up to 5 MB) import inside the request: a
# 1M-row usage file takes about 45 s, so the worker timeout is well above gunicorn's 30 s.
CMD ["gunicorn", "spp.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "300", "--access-logfile", "-"]
