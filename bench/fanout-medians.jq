# Medians per client count of one session of bench/fanout.sh (jq -s --arg s SESSION -f this).
def median: sort | if length == 0 then null
  elif length % 2 == 1 then .[(length - 1) / 2 | floor]
  else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def fmt: if . == null then "-" else (. * 100 | round / 100 | tostring) end;
def ratio($a; $b): if $a == null or $b == null or $b == 0 then "-"
  else ($a / $b * 100 | round / 100 | tostring) + "x" end;
def figures: {
  p50: (map(.latencyMs.p50) | median), p99: (map(.latencyMs.p99) | median),
  max: (map(.latencyMs.max) | median), cpu: (map(.cpuUsPerPush) | median),
  rss: (map(.rssKiBPerConnIdle) | median), lost: (map(.lost) | median),
  sockets: (map(.clients) | median), runs: length };
"clients  | latency p50 ms (box / peer, ratio) | p99 ms | max ms | CPU µs per push | RSS KiB per idle conn | lost | runs",
([.[] | select(.session == $s)] | group_by(.clientsRequested // .clients)[] |
  (map(select(.target == "boxoffice")) | figures) as $b |
  (map(select(.target == "peer")) | figures) as $p |
  "\(.[0].clientsRequested // .[0].clients) (\($b.sockets // "-") open) | \($b.p50|fmt) / \($p.p50|fmt) (\(ratio($b.p50; $p.p50))) | \($b.p99|fmt) / \($p.p99|fmt) (\(ratio($b.p99; $p.p99))) | \($b.max|fmt) / \($p.max|fmt) | \($b.cpu|fmt) / \($p.cpu|fmt) (\(ratio($b.cpu; $p.cpu))) | \($b.rss|fmt) / \($p.rss|fmt) (\(ratio($b.rss; $p.rss))) | \($b.lost // "-") / \($p.lost // "-") | \($b.runs) + \($p.runs)")
