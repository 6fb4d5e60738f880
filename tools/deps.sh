#!/bin/sh
# Checks (and, as root, installs) the Debian packages idwatch builds and tests
# with (chromium, chromium-driver and python3-selenium: the console's browser
# test, tests/browser/).
#   tools/deps.sh check     exit 0 when everything is present
#   tools/deps.sh install   apt-get install what is missing (root), else print
#                           the exact command and fail
#   tools/deps.sh check-fuzz / install-fuzz
#                           the same for the fuzzing group only (clang-14 and
#                           its libFuzzer runtime, for `make fuzz`); not part
#                           of check/install: building and testing never need it
PKGS="build-essential pkg-config libcurl4-openssl-dev libjansson-dev libssl-dev liblmdb-dev lmdb-utils libmaxminddb-dev libcmocka-dev zlib1g-dev libyaml-dev libpcre2-dev libmicrohttpd-dev python3 python3-cryptography openssl curl valgrind chromium chromium-driver python3-selenium libnats-dev nats-server"

FUZZ_PKGS="clang-14 libclang-rt-14-dev"

case "$1" in
check-fuzz|install-fuzz) PKGS=$FUZZ_PKGS ;;
esac

missing() {
    for p in $PKGS; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || printf '%s ' "$p"
    done
}

todo=$(missing)
case "$1" in
check|check-fuzz)
    [ -z "$todo" ] && exit 0
    echo "idwatch: missing build dependencies: $todo" >&2
    exit 1 ;;
install|install-fuzz)
    [ -z "$todo" ] && exit 0
    if [ "$(id -u)" != 0 ]; then
        echo "idwatch: missing build dependencies. Run as root:" >&2
        echo "  apt-get update && apt-get install -y $todo" >&2
        exit 1
    fi
    echo "idwatch: installing $todo" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null && apt-get install -y -q $todo >/dev/null || {
        echo "idwatch: apt-get install failed" >&2; exit 1; }
    ;;
*)
    echo "usage: tools/deps.sh check|install|check-fuzz|install-fuzz" >&2; exit 2 ;;
esac
