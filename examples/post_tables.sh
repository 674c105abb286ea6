#!/usr/bin/env bash
# The blog post's two comparison tables (64 => 128 and 64 => 64), in one call.
# Its 64 => 64 standard figure is printed as 37,056; the formula gives 36,928.
set -euo pipefail
convcalc compare --cin 64 --cout 128,64 -k 3
