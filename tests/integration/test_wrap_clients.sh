#!/usr/bin/env bash
# test_wrap_clients.sh - the Julia and Python clients: their generated layer is what `jmake wrap` makes of jmake.h today, and the Python client drives real daemons.
. "$(dirname "$0")/lib.sh"
BUILD=${JMAKE_BINARY_DIR:?JMAKE_BINARY_DIR must point at the build folder}
write_config
start_daemons

# The committed low-level layer is exactly what wrapping include/jmake.h gives.
jm wrap "$BUILD/libjmake.so" --header "$SRC/include/jmake.h" --module LibJMake --load-as libjmake.so.0 \
    --output "$WORK/gen" >/dev/null 2>&1; rc=$?
check_eq "jmake wrap libjmake.so exits 0" 0 "$rc"
for f in julia/LibJMake.jl python/libjmake.py; do
    if diff -u "$SRC/clients/$f" "$WORK/gen/$f" > "$WORK/diff" 2>&1; then
        pass "clients/$f is what regenerating it gives"
    else
        fail "clients/$f is out of date (see clients/README.md to regenerate)"
        head -20 "$WORK/diff"
    fi
done

# The Python client against the daemons, as the seed's client API is used. In the
# sanitizer build libjmake needs the ASan runtime loaded first (python's own leaks aside).
preload=
if ldd "$BUILD/libjmake.so" 2>/dev/null | grep -q libasan; then
    preload=$(cc -print-file-name=libasan.so)
fi
cp -r "$SRC/daemons/test_project" "$WORK/tp"
res=$(cd "$WORK/tp" && LD_PRELOAD="$preload" ASAN_OPTIONS=detect_leaks=0 LD_LIBRARY_PATH="$BUILD" \
    PYTHONPATH="$SRC/clients/python" PYTHONDONTWRITEBYTECODE=1 JMAKE_HOME="$TEST_HOME" python3 - <<'PY' 2>&1
import jmake
job = jmake.submit_job(type="compilation", config_file="jmake.toml", priority=1)
print("submitted", job.startswith("job-"))
print("status", jmake.get_job_status(job) in ("pending", "running", "completed"))
print("waited", jmake.wait_for_job(job))
r = jmake.get_job_results(job)
print("results", type(r).__name__, r["state"], r["type"], r["config_file"].endswith("tp/jmake.toml"))
print("artifact", r["result"]["artifact"]["path"].endswith("libmathlib.so"))
try:
    jmake.get_job_status("no-such-job")
except jmake.JMakeError as e:
    print("error", e.status, str(e))
w = jmake.submit_job(type="wrapping", binary_path="build/libmathlib.so", priority=0,
                     args={"headers": [__import__("os").path.abspath("include/mathlib_api.h")],
                           "output_dir": __import__("os").path.abspath("out"), "languages": ["python"]})
print("wrap", jmake.wait_for_job(w, timeout=60), jmake.get_job_results(w)["result"]["functions"]["python"]["typed"])
PY
)
check_eq "submit_job returns the job's id" "submitted True" "$(printf '%s\n' "$res" | grep '^submitted')"
check_eq "get_job_status gives a state" "status True" "$(printf '%s\n' "$res" | grep '^status')"
check_eq "wait_for_job gives the final state" "waited completed" "$(printf '%s\n' "$res" | grep '^waited')"
check_eq "get_job_results gives a dict" "results dict completed compilation True" "$(printf '%s\n' "$res" | grep '^results')"
check_eq "with the build's artifacts" "artifact True" "$(printf '%s\n' "$res" | grep '^artifact')"
check_eq "errors are JMakeError with the library's message" "error -4 no job with id 'no-such-job'" "$(printf '%s\n' "$res" | grep '^error')"
check_eq "a wrapping job through the client" "wrap completed 14" "$(printf '%s\n' "$res" | grep '^wrap')"
has "$res" Traceback && printf '%s\n' "$res"

# The Julia client: no Julia runtime here, so it is parsed (test_wrap.sh installs the grammar).
NPM_DIR=$BUILD/npm
if [ ! -f "$NPM_DIR/node_modules/tree-sitter-julia/tree-sitter-julia.wasm" ]; then
    npm install --silent --no-audit --no-fund --prefix "$NPM_DIR" web-tree-sitter tree-sitter-julia@0.23.1 >/dev/null 2>&1
fi
if [ -f "$NPM_DIR/node_modules/tree-sitter-julia/tree-sitter-julia.wasm" ]; then
    out=$(node "$SRC/tests/integration/julia_syntax.cjs" "$NPM_DIR/node_modules" "$SRC"/clients/julia/*.jl 2>&1); rc=$?
    check_eq "the Julia client parses without ERROR or MISSING nodes" 0 "$rc"
    [ "$rc" -ne 0 ] && printf '%s\n' "$out" | head
    check "it gives the seed's four calls" grep -q '^export submit_job, get_job_status, wait_for_job, get_job_results' "$SRC/clients/julia/JMake.jl"
elif [ "${CI:-}" = true ]; then
    fail "tree-sitter-julia could not be installed with npm into $NPM_DIR: the Julia client cannot be checked in CI"
else
    echo "skipped: the Julia client's syntax check (npm could not install tree-sitter-julia into $NPM_DIR)"
fi

finish
