# Shared by scripts/bench and scripts/bench-hijack (sourced, not run): the
# median of runs and the rows, printed and kept as JSON objects in rows.

# median [FORMAT]: the median of the numbers on stdin (other lines are
# ignored), or nothing if there are none.
median() {
	{ grep -E '^[0-9]+([.][0-9]+)?$' || true; } | sort -g |
		awk -v f="${1:-%.3f}" '{a[NR] = $1} END {if (NR) printf f "\n", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
calc() { awk "BEGIN {printf \"$1\n\", ($2)}"; }
isnum() { [[ $1 =~ ^-?[0-9]+([.][0-9]+)?$ ]]; }
srvpid() { curl -s --unix-socket "$1" http://rump/v1/ | sed -n 's/.*"pid":\([0-9]*\).*/\1/p'; }

# Rows. row METRIC UNIT RUMP REF GOAL [NOTE]: RUMP and REF are numbers, "-"
# (none) or "n/a (why)"; the runs behind them are in the arrays R and L.
rows=() notes=()
jstr() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }
jval() { if isnum "$1"; then printf '%s' "$1"; elif [ "$1" = - ]; then printf null; else jstr "$1"; fi; }
jarr() { local out= x; for x; do out+=${out:+,}$(jval "$x"); done; printf '[%s]' "$out"; }
R=() L=()
row() {
	local m=$1 u=$2 r=$3 f=$4 g=$5 note=${6:-} ratio=-
	if isnum "$r" && isnum "$f" && [ "$(calc %d "$f > 0")" = 1 ]; then ratio=$(calc %.2f "$r / $f"); fi
	printf '%-44s %-11s %-11s %-7s %s\n' "$m ($u)" "$r" "$f" "$ratio" "$g"
	[ -z "$note" ] || notes+=("$m: $note")
	rows+=("{\"metric\":$(jstr "$m"),\"unit\":$(jstr "$u"),\"rump\":$(jval "$r"),\"reference\":$(jval "$f"),\"ratio\":$(jval "$ratio"),\"goal\":$(jstr "$g"),\"runs\":$(jarr "${R[@]}"),\"reference_runs\":$(jarr "${L[@]}"),\"note\":$(jstr "$note")}")
	R=() L=()
}
# or_na VALUE WHY: VALUE, or "n/a (WHY)" when it is empty.
or_na() { if [ -n "$1" ]; then echo "$1"; else echo "n/a ($2)"; fi; }

