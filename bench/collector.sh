#!/usr/bin/env bash
# bench/collector.sh - what netsnap costs on a host with big socket tables,
# next to a plain `cat` of the /proc files it samples and to `ss -tan`.
#
# Usage (as root, from anywhere in the repository; run by hand, not in CI):
#
#   bench/collector.sh [SIZE...]   sockets per table, default: 10000 100000;
#                                  RUNS (default 5) runs of each tool, medians
#   bench/collector.sh --smoke     one 1000-socket table, one run (quick; CI)
#
# Environment:
#   NETSNAP_BIN=PATH   measure this netsnap binary instead of building ./cmd/netsnap
#   RUNS=N             runs of each tool per size (default 5; 1 with --smoke)
#
# For each SIZE it creates a network namespace (netsnap-bench-PID-SIZE), sets
# inside it only net.ipv4.ip_local_port_range, tcp_max_tw_buckets and
# tcp_rfc1337, fills it with lab/sockgen (40% ESTABLISHED rows, 60% TIME_WAIT,
# all on 127.0.0.1-8) and measures, inside the namespace:
#   cat   cat /proc/net/{tcp,tcp6,udp,udp6,netstat,snmp,sockstat} /proc/slabinfo > /dev/null
#   netsnap  netsnap --samples 1 -q -o TMP/snap.tgz
#   ss    ss -tan > /dev/null
# Wall and CPU (user+sys) times come from bench/rusage (microseconds). Peak
# RSS comes from GNU /usr/bin/time when it is installed, else from
# bench/rusage, whose figure cannot go below its own ~3 MiB (see its doc).
# The table prints the medians and each tool's wall time over cat's.
#
# Everything happens inside the namespace, on loopback; the namespace and
# sockgen are removed on exit, also on failure or Ctrl-C. TIME_WAIT lasts
# 60 s, so all runs of one size must fit in about 40 s after sockgen is ready
# (they take about 15 s at 100,000 sockets); a size whose table shrank by more
# than 1% meanwhile is flagged.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

smoke=0
sizes=()
for a in "$@"; do
	case $a in
	--smoke) smoke=1 ;;
	-h | --help) usage; exit 0 ;;
	*[!0-9]* | '') echo "collector.sh: bad size '$a' (a number of sockets)" >&2; exit 2 ;;
	*) sizes+=("$a") ;;
	esac
done
if ((smoke)); then
	sizes=(1000)
	RUNS=${RUNS:-1}
fi
((${#sizes[@]})) || sizes=(10000 100000)
RUNS=${RUNS:-5}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d /tmp/netsnap-bench.XXXXXX)
ns=""
sg_pid=""

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $sg_pid ]]; then
		kill -TERM "$sg_pid" 2>/dev/null || true
		wait "$sg_pid" 2>/dev/null || true
	fi
	if [[ -n $ns ]]; then
		ip netns del "$ns" 2>/dev/null || true
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "collector.sh: $*" >&2; exit 1; }

if [[ $(id -u) != 0 ]]; then
	die "needs root (network namespaces)"
fi
probe=netsnap-bench-probe-$$
if ! ip netns add "$probe" 2>"$tmp/probe.err"; then
	die "network namespaces unavailable: $(cat "$tmp/probe.err")"
fi
ip netns del "$probe"

echo "building tools in $tmp ..." >&2
(
	cd "$repo"
	CGO_ENABLED=0 go build -o "$tmp/sockgen" ./lab/sockgen
	CGO_ENABLED=0 go build -o "$tmp/rusage" ./bench/rusage
	if [[ -z ${NETSNAP_BIN:-} ]]; then
		CGO_ENABLED=0 go build -o "$tmp/netsnap" ./cmd/netsnap
	fi
)
netsnap=${NETSNAP_BIN:-$tmp/netsnap}
[[ -x $netsnap ]] || die "no netsnap binary at $netsnap"

gnutime=""
if [[ -x /usr/bin/time ]] && /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
	gnutime=/usr/bin/time
fi

# nsx CMD...: run CMD inside the bench namespace.
nsx() { ip netns exec "$ns" "$@"; }

# measure NAME CMD...: one run of CMD in the namespace, stdout discarded;
# prints "wall_ms cpu_ms maxrss_kib".
measure() {
	local name=$1
	shift
	local wrap=()
	[[ -n $gnutime ]] && wrap=("$gnutime" -f %M -o "$tmp/time.out")
	if ! nsx "$tmp/rusage" -o "$tmp/rusage.out" -- "${wrap[@]}" "$@" >/dev/null 2>"$tmp/$name.err"; then
		cat "$tmp/$name.err" >&2
		die "$name failed: $*"
	fi
	local rss
	if [[ -n $gnutime ]]; then
		rss=$(tail -n1 "$tmp/time.out")
	else
		rss=$(sed -n 's/.*maxrss_kib=\([0-9]*\).*/\1/p' "$tmp/rusage.out")
	fi
	awk -v rss="$rss" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "%.3f %.3f %d\n", v["wall_s"] * 1000, v["cpu_s"] * 1000, rss
	}' "$tmp/rusage.out"
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

tcp_rows() { nsx sh -c 'wc -l < /proc/net/tcp' | awk '{ print $1 - 1 }'; }

printf '%-8s %-8s %-8s %10s %10s %11s %9s\n' size rows tool wall_ms cpu_ms maxrss_MiB vs_cat
for size in "${sizes[@]}"; do
	est=$((size * 4 / 10 / 2 * 2))
	tw=$((size - est))
	ns=netsnap-bench-$$-$size
	ip netns add "$ns"
	nsx ip link set lo up
	nsx sh -c "echo '1024 65535' > /proc/sys/net/ipv4/ip_local_port_range
		echo $((tw * 2 > 262144 ? tw * 2 : 262144)) > /proc/sys/net/ipv4/tcp_max_tw_buckets
		echo 1 > /proc/sys/net/ipv4/tcp_rfc1337"

	# Not through nsx: $! of a backgrounded function would be a subshell's PID.
	# ip netns exec execs sockgen in place, so $! is sockgen's own PID.
	ip netns exec "$ns" "$tmp/sockgen" -established "$est" -timewait "$tw" -addrs 8 -hold 5m >"$tmp/sockgen.out" 2>"$tmp/sockgen.err" &
	sg_pid=$!
	for ((i = 0; i < 900; i++)); do
		grep -q '^ready' "$tmp/sockgen.out" && break
		kill -0 "$sg_pid" 2>/dev/null || { cat "$tmp/sockgen.err" >&2; die "sockgen exited before ready"; }
		sleep 0.1
	done
	grep -q '^ready' "$tmp/sockgen.out" || die "sockgen not ready after 90 s"
	rows=$(tcp_rows)

	declare -A wall=() cpu=() rss=()
	for tool in cat netsnap ss; do
		: >"$tmp/runs"
		for ((r = 0; r < RUNS; r++)); do
			case $tool in
			cat) measure cat cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 \
				/proc/net/netstat /proc/net/snmp /proc/net/sockstat /proc/slabinfo >>"$tmp/runs" ;;
			netsnap) measure netsnap "$netsnap" --samples 1 -q -o "$tmp/snap.tgz" >>"$tmp/runs" ;;
			ss) measure ss ss -tan >>"$tmp/runs" ;;
			esac
		done
		wall[$tool]=$(awk '{ print $1 }' "$tmp/runs" | median)
		cpu[$tool]=$(awk '{ print $2 }' "$tmp/runs" | median)
		rss[$tool]=$(awk '{ print $3 }' "$tmp/runs" | median)
	done
	for tool in cat netsnap ss; do
		awk -v s="$size" -v n="$rows" -v t="$tool" -v w="${wall[$tool]}" -v c="${cpu[$tool]}" \
			-v m="${rss[$tool]}" -v base="${wall[cat]}" 'BEGIN {
			printf "%-8s %-8s %-8s %10.1f %10.1f %11.1f %9s\n", s, n, t, w, c, m / 1024,
				(base > 0 ? sprintf("%.1fx", w / base) : "-")
		}'
	done
	after=$(tcp_rows)
	if ((after < rows - rows / 100)); then
		echo "warning: /proc/net/tcp went from $rows to $after rows during the runs (TIME_WAIT expiring?)" >&2
	fi
	unset wall cpu rss

	kill -TERM "$sg_pid" 2>/dev/null || true
	wait "$sg_pid" 2>/dev/null || true
	sg_pid=""
	ip netns del "$ns"
	ns=""
done
echo "(medians of $RUNS run(s); maxrss from ${gnutime:-bench/rusage}; $(nproc) CPUs, kernel $(uname -r))"
