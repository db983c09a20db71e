# One image for web and workers. The gpu worker image swaps in the CUDA build of torch
# (build arg TORCH_INDEX, see README).
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
# DEBUG is off in the image itself: a container started without compose (docker run, another
# orchestrator) must not serve tracebacks and settings; SECRET_KEY is then required.
# STATIC_ROOT lies in the image, not under VAR_DIR (a volume in compose, which would hide what
# collectstatic put there): with DEBUG off whitenoise serves STATIC_ROOT alone.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 DEBUG=0 \
    STATIC_ROOT=/app/static
WORKDIR /app
COPY pyproject.toml README.md ./
COPY annotation_site/ annotation_site/
COPY labeling/ labeling/
COPY training/ training/
COPY durable/ durable/
RUN pip install --no-cache-dir "torch==2.13.0" --index-url "$TORCH_INDEX" \
 && pip install --no-cache-dir .
COPY manage.py ./
COPY --from=frontend /src/frontend/dist frontend/dist
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
# /data/var: compose's VAR_DIR (beat's schedule file), writable by the container's user.
RUN useradd --create-home app && mkdir -p /data/var && chown -R app /data
USER app
EXPOSE 8000
# The same gunicorn settings as scripts/serve.sh and compose's web (WEB_WORKERS, WEB_THREADS).
CMD ["gunicorn", "-c", "annotation_site/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "annotation_site.wsgi:application"]
