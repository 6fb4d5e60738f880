# tests/nats/cluster.sh — a 3-node NATS JetStream cluster on 127.0.0.1 for
# the scale-out tests (docs/scale-out.md).  Source it after lib.sh ($WORK set):
#
#   nats_cluster_start          three `nats-server -js` nodes, each with its own store
#                               under $WORK/nats/nN, free client/cluster/monitor ports,
#                               routes to all three; returns once JetStream has a meta
#                               leader (the /jsz monitoring endpoint), else fails
#   NATS_URLS                   "nats://127.0.0.1:P1 nats://127.0.0.1:P2 nats://127.0.0.1:P3"
#   nats_kill9 N                kill -9 node N (1..3)
#   nats_restart N              start node N again on its ports and store
#   nats_stream_leader STREAM   the node number (1..3) leading STREAM (via /jsz?streams=1)
#   nats_cluster_stop           stop every node: the test's own EXIT trap calls it (start
#                               installs none, which would replace the test's, leaving its
#                               console, simulators and workers running after a failure)
#   NATS_EXTRA_CONF             set before start: lines appended to every node's configuration
#
# Nothing listens beyond 127.0.0.1.  Logs: $WORK/nats/nN.log.

# _nats_ports: nine distinct free ports (all bound at once, so none is handed out twice)
_nats_ports() { python3 -c '
import socket
ss = [socket.socket() for _ in range(9)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'; }

_nats_conf() {
    n=$1
    routes=""
    for j in 1 2 3; do
        [ "$j" = "$n" ] && continue
        eval "rp=\$NATS_ROUTE_$j"
        routes="$routes${routes:+, }\"nats-route://127.0.0.1:$rp\""
    done
    eval "cp=\$NATS_CLIENT_$n; rp=\$NATS_ROUTE_$n; mp=\$NATS_MON_$n"
    cat > "$WORK/nats/n$n.conf" <<CONF
server_name: n$n
listen: 127.0.0.1:$cp
http: 127.0.0.1:$mp
jetstream { store_dir: "$WORK/nats/n$n" }
cluster { name: idwtest, listen: 127.0.0.1:$rp, routes: [$routes] }
${NATS_EXTRA_CONF:-}
CONF
}

_nats_run() {
    n=$1
    nats-server -c "$WORK/nats/n$n.conf" >> "$WORK/nats/n$n.log" 2>&1 &
    eval "NATS_PID_$n=$!"
}

nats_cluster_stop() {
    for n in 1 2 3; do
        eval "p=\${NATS_PID_$n:-}"
        [ -n "$p" ] && kill "$p" 2>/dev/null || true
    done
    for n in 1 2 3; do
        eval "p=\${NATS_PID_$n:-}"
        [ -n "$p" ] && wait "$p" 2>/dev/null || true
    done
}

# _nats_jsz N PATH_AND_QUERY: node N's monitoring document, or nothing
_nats_jsz() { eval "mp=\$NATS_MON_$1"; curl -s --max-time 2 "http://127.0.0.1:$mp$2" 2>/dev/null || true; }

# _nats_wait_meta_leader SECONDS: every node running reports the same non-empty meta leader
_nats_wait_meta_leader() {
    i=0
    while [ "$i" -lt $(($1 * 5)) ]; do
        ok=1
        for n in 1 2 3; do
            eval "p=\${NATS_PID_$n:-}"
            [ -n "$p" ] || continue
            kill -0 "$p" 2>/dev/null || return 1        # a node that exited (bad config, port taken)
            l=$(_nats_jsz "$n" /jsz | python3 -c '
import json, sys
try: print(json.load(sys.stdin).get("meta_cluster", {}).get("leader", ""))
except Exception: print("")')
            [ -n "$l" ] || ok=0
        done
        [ "$ok" = 1 ] && return 0
        sleep 0.2
        i=$((i + 1))
    done
    return 1
}

nats_cluster_start() {
    command -v nats-server > /dev/null || fail "nats-server is not installed (sh tools/deps.sh install)"
    # a free port can be taken between the check and nats-server's bind (another test's server, an
    # outgoing connection's ephemeral port): a node that cannot bind starts the cluster over
    for attempt in 1 2 3; do
        rm -rf "$WORK/nats"
        mkdir -p "$WORK/nats"
        set -- $(_nats_ports)
        NATS_URLS=""
        for n in 1 2 3; do
            eval "NATS_CLIENT_$n=$1 NATS_ROUTE_$n=$2 NATS_MON_$n=$3"
            shift 3
            eval "NATS_URLS=\"\$NATS_URLS nats://127.0.0.1:\$NATS_CLIENT_$n\""
        done
        NATS_URLS=${NATS_URLS# }
        for n in 1 2 3; do _nats_conf "$n"; done
        for n in 1 2 3; do _nats_run "$n"; done
        if _nats_wait_meta_leader 30; then
            echo "nats: 3-node cluster up ($NATS_URLS)"
            return 0
        fi
        grep -q "address already in use" "$WORK"/nats/n*.log || break
        echo "nats: a port was taken (attempt $attempt), starting over"
        nats_cluster_stop
    done
    tail -n 5 "$WORK"/nats/n*.log >&2
    fail "NATS: no JetStream meta leader in 30 s"
}

nats_kill9() {
    eval "p=\$NATS_PID_$1"
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    eval "NATS_PID_$1="
    echo "nats: node n$1 killed (-9)"
}

nats_restart() {
    _nats_run "$1"
    echo "nats: node n$1 restarted"
}

nats_stream_leader() {
    for n in 1 2 3; do
        eval "p=\${NATS_PID_$n:-}"
        [ -n "$p" ] || continue
        l=$(_nats_jsz "$n" "/jsz?streams=1" | python3 -c '
import json, sys
try: j = json.load(sys.stdin)
except Exception: sys.exit(0)
for a in j.get("account_details", []):
    for s in a.get("stream_detail", []):
        if s.get("name") == sys.argv[1]:
            print((s.get("cluster") or {}).get("leader", ""))' "$1")
        case "$l" in n[123]) echo "${l#n}"; return 0 ;; esac
    done
    return 1
}
