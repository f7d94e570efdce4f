# Quick start: `make run` (demo on SQLite, tasks inline) and `make test` (the whole suite).
# Both set themselves up on a fresh Debian/Ubuntu machine, system packages included.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

# WeasyPrint (bulletin PDFs) needs pango and harfbuzz-subset, Chinese needs a CJK font.
# make backup / make restore run pg_dump and pg_restore (Debian 12's client is PostgreSQL 15).
RUN_APT := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-arphic-ukai \
  postgresql-client
# Tests also read PDFs back (poppler) and drive a real browser (Debian's Chromium).
TEST_APT := $(RUN_APT) poppler-utils chromium

DEV_ENV := DEBUG=1 PLAIN_STATIC=1
# Read by anjian/settings.py when present (git-ignored, never in the Docker image), so that
# `.venv/bin/python manage.py …` typed beside the demo uses the demo's settings.
DEV_ENV_FILE := .env.dev

.PHONY: run test lint bench load backup restore system-run system-test venv demo-db dev-env clean

run: system-run venv demo-db
	@echo "安检 正在运行：http://127.0.0.1:$(PORT)/  （Ctrl+C 退出）"
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The demo database: migrated, demo data loaded once (seed_demo skips an already seeded one).
demo-db: dev-env
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py seed_demo

dev-env:
	@printf '%s\n' "# Written by make run for the local demo; settings read it only when present." \
	  "# Variables set in the environment win. Not for production: delete it there." \
	  $(DEV_ENV) > $(DEV_ENV_FILE)

test: system-test venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

# A district at ten years' scale (1M hazards) into DATABASE_URL's PostgreSQL database, which
# must be named *bench* because the seed wipes it; then the hot pages timed (benchmarks/).
bench: venv
	@case "$$DATABASE_URL" in postgres*bench*) ;; *) \
	  echo "make bench needs DATABASE_URL naming a PostgreSQL database called *bench* (it is wiped), e.g.:"; \
	  echo "  createdb -h 127.0.0.1 -U postgres anjian_bench"; \
	  echo "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/anjian_bench make bench"; exit 1;; esac
	$(BIN)/python benchmarks/district.py $(BENCH_ARGS)

# A bounded load test (locust, loopback, fixed time) against gunicorn with production settings,
# on the database DATABASE_URL names — after `make bench` for the ten-year figures.
load: venv .venv-load/.installed
	$(BIN)/python benchmarks/load.py $(LOAD_ARGS)

.venv-load/.installed: benchmarks/requirements-load.txt
	$(PYTHON) -m venv .venv-load
	.venv-load/bin/pip install -q -r benchmarks/requirements-load.txt
	touch $@

# Backups of DATABASE_URL's PostgreSQL database and MEDIA_ROOT (README, 备份与恢复): a directory
# per run under BACKUP_DIR with the dump, the media archive and their manifest.
BACKUP_DIR ?= backups
BACKUP_KEEP ?= 0
backup: system-run venv
	$(BIN)/python manage.py backup --dest $(BACKUP_DIR) --keep $(BACKUP_KEEP)

# Into an empty database (DATABASE_URL) and an empty MEDIA_ROOT, then checked against the manifest.
restore: system-run venv
	@test -n "$(BACKUP)" || { echo "用法：make restore BACKUP=backups/anjian-YYYYmmdd-HHMMSS（DATABASE_URL 指向新建的空库，MEDIA_ROOT 指向空目录）"; exit 1; }
	$(BIN)/python manage.py restore $(BACKUP)

system-run:
	@APT_PACKAGES="$(RUN_APT)" sh -c "$$SYSTEM_DEPS"

system-test:
	@APT_PACKAGES="$(TEST_APT)" sh -c "$$SYSTEM_DEPS"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "安检 needs Python 3.11: $(PYTHON) not found (PYTHON=python3.11 make …)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "安检 needs Python 3.11 (found %s); try PYTHON=python3.11" % sys.version.split()[0])'
	@# Debian/Ubuntu ship the venv module (ensurepip) separately, as python3.11-venv.
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || APT_PACKAGES="python3.11-venv" sh -c "$$SYSTEM_DEPS"
	@echo "首次运行：正在创建 $(VENV) 并安装依赖（约 2 分钟，之后只在 requirements 变化时重装）……"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts $(DEV_ENV_FILE)

# Installs missing Debian packages when root; otherwise names the one command to run.
define SYSTEM_DEPS
missing=""; \
for p in $$APT_PACKAGES; do \
  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
done; \
[ -z "$$missing" ] && exit 0; \
if [ "$$(id -u)" = "0" ]; then \
  echo "安装系统依赖:$$missing"; \
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
else \
  echo "缺少系统依赖，请先运行："; echo "  sudo apt-get install -y$$missing"; exit 1; \
fi
endef
export SYSTEM_DEPS
