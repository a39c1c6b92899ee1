#!/usr/bin/env bash
# bench/collector.sh - the collector part of bench/run.sh, kept for the
# Makefile's `bench` and `unit` targets: netsnap --samples 1 against cat of
# the /proc files it samples and against ss -tan, gzip archives only.
#
#   bench/collector.sh [SIZE...]   default sizes 10000 100000; RUNS=N (default 5)
#   bench/collector.sh --smoke     one 1000-socket table, one run
#
# NETSNAP_BIN=PATH measures that netsnap. See bench/run.sh (and
# bench/README.md) for what is measured and how; bench/run.sh alone also
# measures 300,000 and 1,000,000 sockets, conntrack, the analyzer and fleet.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
args=()
sizes=0
smoke=0
for a in "$@"; do
	case $a in
	--smoke) smoke=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	-*) echo "collector.sh: unknown option $a" >&2; exit 2 ;;
	*) sizes=$((sizes + 1)) ;;
	esac
	args+=("$a")
done
if ((sizes == 0 && !smoke)); then
	args+=(10000 100000)
fi
exec "$here/run.sh" --parts sockets --compress gzip "${args[@]}"
