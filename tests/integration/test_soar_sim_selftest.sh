# The simulated SOAR receiver the delivery tests rely on checks the whole
# webhook contract (tests/soar_sim/selftest.sh drives it with curl and
# openssl, independently of idwatch): a receiver that accepted bad
# signatures would make those tests worthless.
. "$ROOT/tests/integration/lib.sh"
sh "$ROOT/tests/soar_sim/selftest.sh" > selftest.out 2>&1 || { tail -30 selftest.out; fail "soar_sim selftest"; }
tail -3 selftest.out
