#!/usr/bin/env bash
# A CI gate: fail the build when a layer's cost drifts or goes over budget.
# convcalc exits 1 when a check fails and 2 on bad input, so `set -e` stops here.
set -euo pipefail

# The separable block we ship must stay exactly this size...
convcalc separable --cin 64 --cout 128 -k 3 --no-bias --bn --expect 9152 -q

# ...and the stem convolution must fit its budgets on a 224×224 input.
convcalc standard --cin 3 --cout 32 -k 3 -s 2 --no-bias --bn --input 224 \
    --max-params 1k --max-macs 11M --format json > /dev/null

# A figure into a shell variable.
params=$(convcalc lite --cin 64 --cout 128 -k 3 -q)
echo "lite block: $params parameters"
