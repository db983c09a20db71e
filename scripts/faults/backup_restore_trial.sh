#!/usr/bin/env bash
# Backup and restore, tried end to end on two private PostgreSQL instances (never the machine's):
#   1. a fresh cluster, migrated, filled (300 HH-RLHF pairs with labels, a dataset snapshot, a
#      checkpoint directory), 2. backed up the documented way (database first, then artifacts),
#   3. the cluster and the artifact directory deleted, 4. restored into a new cluster and a new
#   artifact directory, 5. every table's row count and content checksum compared, every snapshot's
#   sha256 re-checked against its files, every checkpoint's files found.
# Usage: scripts/faults/backup_restore_trial.sh   (as root it runs PostgreSQL as the postgres user)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL server binaries not found" >&2; exit 2; }
WORK=$(mktemp -d /tmp/backup-trial.XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$WORK"
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cluster() {  # cluster NAME PORT: initdb and start
  as_pg "$PGBIN/initdb" -D "$WORK/$1" -U postgres --auth=trust -N >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$WORK/$1" -o "-p $2 -k $WORK -c listen_addresses=127.0.0.1" -l "$WORK/$1.log" -w start >/dev/null
}
stop() { as_pg "$PGBIN/pg_ctl" -D "$WORK/$1" -m fast -w stop >/dev/null 2>&1 || true; }
trap 'stop old; stop new; rm -rf "$WORK"' EXIT

checksums() {  # per table: row count and md5 of its rows (what must survive)
  "$PY" manage.py shell 2>/dev/null <<'PY' | grep -v "objects imported"
from django.apps import apps
from django.db import connection
with connection.cursor() as c:
    for m in apps.get_models():
        t = m._meta.db_table
        c.execute(f"SELECT count(*), md5(coalesce(string_agg(r::text, chr(10) ORDER BY r::text), '')) FROM {t} r")
        n, h = c.fetchone()
        print(t, n, h)
PY
}

OLD=$(free_port); cluster old "$OLD"
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$OLD" -U postgres studio
export DATABASE_URL="postgres://postgres@127.0.0.1:$OLD/studio" VAR_DIR="$WORK/var" ARTIFACT_DIR="$WORK/artifacts" DEBUG=1
unset REDIS_URL CELERY_BROKER_URL
echo "== filling a private instance on port $OLD"
"$PY" manage.py migrate -v0
"$PY" manage.py import_data demo/hh_rlhf_300.jsonl --project trial --format hh-rlhf --with-labels >/dev/null 2>&1
"$PY" manage.py shell >/dev/null 2>&1 <<'PY'
from pathlib import Path
from django.conf import settings
from labeling.models import Project
from labeling.exports.options import SnapshotOptions
from labeling.exports.snapshots import snapshot_create
from training.models import ModelCheckpoint, TrainingRun
project = Project.objects.get(slug="trial")
snapshot = snapshot_create(project=project, options=SnapshotOptions.from_json({"format": "trl"}))
run = TrainingRun.objects.create(project=project, stage="reward", base_model="tiny/model", status="succeeded", snapshot=snapshot)
out = Path(settings.ARTIFACT_DIR) / "checkpoints" / f"run-{run.pk}"
out.mkdir(parents=True)
(out / "model.safetensors").write_bytes(bytes(range(256)) * 4096)
(out / "config.json").write_text("{}")
ModelCheckpoint.objects.create(project=project, run=run, name="trial", kind="reward", path=f"checkpoints/run-{run.pk}")
PY
checksums > "$WORK/before.txt"
echo "   $(grep -c . "$WORK/before.txt") tables; $(awk '$1=="labeling_judgment"{print $2}' "$WORK/before.txt") judgments"

echo "== backup: database first, then artifacts"
mkdir -p "$WORK/backup"
START=$(date +%s.%N)
pg_dump --format=custom --no-owner --file "$WORK/backup/studio.dump" "$DATABASE_URL"
tar -C "$ARTIFACT_DIR" -cf "$WORK/backup/artifacts.tar" .
echo "   pg_dump + tar: $(echo "$(date +%s.%N) - $START" | bc) s; $(du -h "$WORK/backup/studio.dump" | cut -f1) dump, $(du -h "$WORK/backup/artifacts.tar" | cut -f1) artifacts"

echo "== disaster: the database cluster and the artifact directory are gone"
stop old; rm -rf "${WORK:?}/old" "$ARTIFACT_DIR"

echo "== restore into a new cluster and a new artifact directory"
NEW=$(free_port); cluster new "$NEW"
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$NEW" -U postgres studio
export DATABASE_URL="postgres://postgres@127.0.0.1:$NEW/studio" ARTIFACT_DIR="$WORK/artifacts-restored"
START=$(date +%s.%N)
pg_restore --no-owner --exit-on-error --dbname "$DATABASE_URL" "$WORK/backup/studio.dump"
mkdir -p "$ARTIFACT_DIR" && tar -C "$ARTIFACT_DIR" -xf "$WORK/backup/artifacts.tar"
echo "   pg_restore + tar: $(echo "$(date +%s.%N) - $START" | bc) s"

echo "== checks"
"$PY" manage.py migrate --check -v0 && echo "   no migration pending"
checksums > "$WORK/after.txt"
diff "$WORK/before.txt" "$WORK/after.txt" && echo "   every table: same row count and checksum"
"$PY" manage.py shell 2>/dev/null <<'PY' | grep -v -e "objects imported" -e "^$"
from pathlib import Path
from django.conf import settings
from labeling.models import DatasetSnapshot
from labeling.exports.snapshots import snapshot_verify
from training.models import ModelCheckpoint
assert all(snapshot_verify(s) for s in DatasetSnapshot.objects.filter(status="ready")), "a snapshot does not match its sha256"
assert all((Path(settings.ARTIFACT_DIR) / c.path / "model.safetensors").exists() for c in ModelCheckpoint.objects.all())
print(f"   {DatasetSnapshot.objects.count()} snapshot(s) match their sha256; {ModelCheckpoint.objects.count()} checkpoint(s) found")
PY
echo "== backup and restore: OK"
