# Production image: gunicorn + whitenoise for web; the same image runs worker and beat.
FROM node:20-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim
# Every process of the image (web, worker, beat, manage.py) runs the production settings.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=sentimatrix.settings.production
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=assets /app/node_modules ./node_modules
# collectstatic opens no database and uses no key, but the production settings insist on all
# three: build-only values that no running container ever sees.
RUN MONGODB_URI=mongodb://build.invalid:27017 DJANGO_SECRET_KEY=build-only \
    SENTIMATRIX_ENCRYPTION_KEYS=build:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    python manage.py collectstatic --noinput
RUN useradd --create-home sentimatrix && mkdir -p var && chown -R sentimatrix var
USER sentimatrix
EXPOSE 8000
CMD ["gunicorn", "sentimatrix.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
