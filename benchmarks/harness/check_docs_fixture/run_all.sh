#!/usr/bin/env bash
# Stands in for the driver in the docs checker's own test: says what it got.
set -euo pipefail

# The packages the labs' READMEs must name (the checker reads this function).
missing_packages() {
  local entry
  for entry in bash:bash sed:sed; do
    command -v "${entry%%:*}" >/dev/null || echo "${entry#*:}"
  done
  [[ -f /usr/bin/env ]] || echo coreutils
}

echo "run_all.sh args: $*"
echo "results in ${CONCLAB_RESULTS_DIR:?}, programs from ${CONCLAB_BIN_DIR:?}"
