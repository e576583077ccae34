#!/usr/bin/env bash
# Lints the deployment artefacts: the AWS CloudFormation templates (deploy/aws/*.yaml) with
# cfn-lint (PyPI, pinned below), and the compose file with `docker compose config` when docker
# is installed. scripts/test.sh runs it; any cfn-lint error or warning fails the run.
#
# cfn-lint lives in a virtualenv this script makes, .venv-lint/ (gitignored; set
# BOXOFFICE_LINT_VENV to put it elsewhere). python3-venv is installed with apt when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CFN_LINT_VERSION=1.58.0
VENV=${BOXOFFICE_LINT_VENV:-$ROOT/.venv-lint}

say() { printf '\n\033[1m== lint-deploy: %s\033[0m\n' "$*"; }
die() { printf '\n\033[31mlint-deploy.sh: %s\033[0m\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }
apt_install() {
  [ "$(id -u)" = 0 ] && have apt-get || return 1
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

have python3 || apt_install python3 || die "python3 is missing: apt-get install python3 python3-venv"
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  say "installing python3-venv with apt"
  apt_install python3-venv || die "python3's venv module (with ensurepip) is missing: apt-get install python3-venv"
fi
if [ "$("$VENV/bin/cfn-lint" --version 2>/dev/null)" != "cfn-lint $CFN_LINT_VERSION" ]; then
  say "installing cfn-lint $CFN_LINT_VERSION into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV" || die "could not create the virtualenv $VENV (apt-get install python3-venv)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION" \
    || die "pip could not install cfn-lint==$CFN_LINT_VERSION from PyPI"
fi

say "cfn-lint $CFN_LINT_VERSION: deploy/aws/*.yaml"
# Non-zero on any error (2), warning (4) or informational finding (8).
"$VENV/bin/cfn-lint" --include-checks I -- deploy/aws/*.yaml || die "cfn-lint found problems in deploy/aws (above)"
echo "cfn-lint: no findings"

if have docker && docker compose version >/dev/null 2>&1; then
  say "docker compose config: docker-compose.yml"
  docker compose -f docker-compose.yml config --quiet || die "docker-compose.yml does not parse"
else
  echo "docker compose not installed: docker-compose.yml not linted"
fi
