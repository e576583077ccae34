# Shared by the bench/*.sh scripts (sourced): a free loopback port, and the median of numbers
# on stdin.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# alternate ROUNDS OLD_BIN NEW_BIN RUN [SUFFIX]: ROUNDS rounds of `RUN BIN LABEL` for both
# builds, alternating which goes first so neither always meets a warmer machine. RUN prints
# "LABEL FIGURE ..."; each line is echoed as "round R: LINE SUFFIX", and the medians of old
# and new FIGUREs end up in $old_median and $new_median.
alternate() {
  local rounds=$1 old=$2 new=$3 fn=$4 suffix=${5:-} r which bin line lines=()
  for r in $(seq "$rounds"); do
    local order=(old new); (( r % 2 )) || order=(new old)
    for which in "${order[@]}"; do
      bin=$old; [ "$which" = new ] && bin=$new
      line=$("$fn" "$bin" "$which")
      echo "round $r: $line${suffix:+ $suffix}"
      lines+=("$line")
    done
  done
  old_median=$(printf '%s\n' "${lines[@]}" | awk '$1=="old"{print $2}' | median)
  new_median=$(printf '%s\n' "${lines[@]}" | awk '$1=="new"{print $2}' | median)
}
