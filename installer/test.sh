#!/usr/bin/env bash
# Installs what the tests need (PostgreSQL, Xvfb, test extras), starts PostgreSQL, and runs lint, type
# checks, the import contract and the whole suite headless. Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
apt_ensure "${RUNTIME_PACKAGES[@]}" libasound2 postgresql xvfb xauth
venv_ensure ".[test]"

# PostgreSQL for the many-seat store tests: start the cluster and a login role when missing.
PG_VERSION="$(ls /usr/lib/postgresql | sort -V | tail -1)"
if ! pg_lsclusters -h 2>/dev/null | awk '{print $4}' | grep -q online; then
  _sudo pg_ctlcluster "$PG_VERSION" main start || { _sudo pg_createcluster "$PG_VERSION" main --start; }
fi
_sudo su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='c4test'\"" | grep -q 1 \
  || _sudo su postgres -c "psql -qc \"CREATE ROLE c4test LOGIN SUPERUSER PASSWORD 'c4test'\""
export C4DESK_TEST_PG_URL="${C4DESK_TEST_PG_URL:-postgresql+psycopg://c4test:c4test@127.0.0.1:5432/postgres}"
export C4DESK_REQUIRE_PG=1
export QT_QPA_PLATFORM=offscreen

cd "$REPO"
echo "==> ruff";          "$VENV/bin/ruff" check c4desk tests bench
echo "==> mypy";          "$VENV/bin/mypy"
echo "==> import rules";  "$VENV/bin/lint-imports"
echo "==> pytest"
exec "$VENV/bin/python" -m pytest "$@"
