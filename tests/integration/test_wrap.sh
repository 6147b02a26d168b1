#!/usr/bin/env bash
# test_wrap.sh - `jmake wrap` and wrapping jobs end to end: zlib, the test project's library, a header full of hard cases, a library without headers, a C++ library, bad input; every .jl parsed by tree-sitter's Julia grammar.
. "$(dirname "$0")/lib.sh"
FIX=$SRC/tests/integration/wrap
write_config
start_daemons

py() { # py DIR SCRIPT-ON-STDIN: runs python3 with DIR on sys.path
    PYTHONPATH="$1" PYTHONDONTWRITEBYTECODE=1 python3 -
}

# ---- zlib: the system library and its header ----
ZLIB=$(python3 -c 'import ctypes.util; print(ctypes.util.find_library("z") or "")')
out=$(cd "$WORK" && jm wrap libz.so.1 --header /usr/include/zlib.h --module Zlib --output "$WORK/z" 2>&1); rc=$?
check_eq "jmake wrap libz.so.1 exits 0" 0 "$rc"
check "a bare name is found on the linker's search path, with a warning naming the file" has "$out" 'warning: libz.so.1 does not exist: wrapping /.*libz.so.1, found on the linker'
check "it says what it wrote" has "$out" "wrote $WORK/z/julia/Zlib.jl"
check "the Python module exists" test -f "$WORK/z/python/zlib.py"
cc -o "$WORK/zsize" "$FIX/zstream_size.c" && csize=$("$WORK/zsize")
zver=$(sed -n 's/^#define ZLIB_VERSION "\(.*\)"/\1/p' /usr/include/zlib.h)
res=$(py "$WORK/z/python" <<PY 2>&1
import ctypes, importlib.util
spec = importlib.util.spec_from_file_location("jzlib", "$WORK/z/python/zlib.py")
z = importlib.util.module_from_spec(spec); spec.loader.exec_module(z)
print("version", z.zlibVersion().decode(), z.ZLIB_VERSION)
src = bytes(range(256)) * 40
bound = z.compressBound(len(src))
dest = bytearray(bound)
dest_len = z.uLongf(bound)
assert z.compress2(dest, ctypes.byref(dest_len), src, len(src), z.Z_BEST_COMPRESSION) == z.Z_OK
back = ctypes.create_string_buffer(len(src))
back_len = z.uLongf(len(src))
assert z.uncompress(back, back_len, bytes(dest[:dest_len.value]), dest_len.value) == z.Z_OK
print("roundtrip", back.raw[:back_len.value] == src, dest_len.value < len(src))
print("sizeof", ctypes.sizeof(z.z_stream), z._C_SIZES["z_stream_s"])
print("argtypes", len(z.compress2.argtypes), z.compress2.restype.__name__)
PY
)
check_eq "zlibVersion() is the header's ZLIB_VERSION" "version $zver $zver" "$(printf '%s\n' "$res" | grep '^version')"
check_eq "compress2/uncompress round-trip a buffer (bytes, bytearray and ctypes buffers)" "roundtrip True True" "$(printf '%s\n' "$res" | grep '^roundtrip')"
check_eq "ctypes.sizeof(z_stream) == sizeof(z_stream) in C" "sizeof $csize $csize" "$(printf '%s\n' "$res" | grep '^sizeof')"
check_eq "compress2 has argtypes and restype" "argtypes 5 c_int" "$(printf '%s\n' "$res" | grep '^argtypes')"
has "$res" Traceback && printf '%s\n' "$res"

# ---- the test project's own library, its public include folder as headers ----
cp -r "$SRC/daemons/test_project" "$WORK/tp"
sed -i 's/^enabled = false/enabled = true/; s/^module_name = "MathLib"/module_name = "MathLib"\nlanguages = ["julia", "python"]/' "$WORK/tp/jmake.toml"
jm build "$WORK/tp" >/dev/null 2>&1; rc=$?
check_eq "the test project builds with [wrap] enabled" 0 "$rc"
json=$(jm build "$WORK/tp" --json)
check "the compilation result lists the generated modules" has "$json" '"wrap":'
check "the Python module is among them" has "$json" 'python/mathlib.py'
check "the project's Julia module is written" test -f "$WORK/tp/julia/MathLib.jl"
res=$(py "$WORK/tp/python" <<'PY' 2>&1
import ctypes, mathlib as m
print("ints", m.mathlib_add_ints(40, 2))
print("doubles", round(m.mathlib_norm([3.0, 4.0], 2), 6))
out = (ctypes.c_double * 3)()
print("array", m.mathlib_vec_add([1, 2, 3], (ctypes.c_double * 3)(10, 20, 30), out, 3), list(out))
print("string", m.mathlib_version().decode(), m.mathlib_word_count(b"one two  three"), m.mathlib_word_count("four five"))
buf = bytearray(64)
n = m.mathlib_describe([1.0, 2.0, 3.0], 3, buf, len(buf))
print("buffer", bytes(buf[:n]).decode())
a, b = m.mathlib_point(0.0, 0.0), m.mathlib_point(3.0, 4.0)
mid = m.mathlib_point_midpoint(a, b)
m.mathlib_point_scale(b, 2.0)
print("struct", m.mathlib_point_distance(a, m.mathlib_point(3.0, 4.0)), mid.x, mid.y, b.x, b.y)
PY
)
check_eq "python: ints" "ints 42" "$(printf '%s\n' "$res" | grep '^ints')"
check_eq "python: doubles from a list" "doubles 5.0" "$(printf '%s\n' "$res" | grep '^doubles')"
check_eq "python: pointers to arrays (in and out)" "array 0 [11.0, 22.0, 33.0]" "$(printf '%s\n' "$res" | grep '^array')"
check_eq "python: strings (bytes and str)" "string 1.0.0 3 2" "$(printf '%s\n' "$res" | grep '^string')"
check "python: a bytearray as char buffer" has "$(printf '%s\n' "$res" | grep '^buffer')" '^buffer n=3 mean=2'
check_eq "python: structs by value and by pointer" "struct 5.0 1.5 2.0 6.0 8.0" "$(printf '%s\n' "$res" | grep '^struct')"
has "$res" Traceback && printf '%s\n' "$res"

# ---- a header with a callback type, a variadic function, an anonymous enum, nested structs ----
cc -shared -fPIC -O1 -o "$WORK/libfeatures.so" "$FIX/features.c"
out=$(jm --json wrap "$WORK/libfeatures.so" --header "$FIX/features.h" --output "$WORK/feat" 2>&1); rc=$?
check_eq "wrap libfeatures.so exits 0" 0 "$rc"
typed=$(printf '%s' "$out" | python3 -c 'import json,sys; f=json.load(sys.stdin)["functions"]; print(f["exported"], f["python"]["typed"], f["julia"]["typed"])')
check_eq "every exported function is typed, the hidden one is not exported" "6 6 6" "$typed"
res=$(py "$WORK/feat/python" <<'PY' 2>&1
import ctypes, features as f
vals = (ctypes.c_double * 3)(1.0, 2.0, 3.0)
double_it = f.feat_map_fn(lambda v, user: v * 2)
print("callback", f.feat_map(vals, 3, double_it, None), list(vals))
print("variadic", f.feat_sum(3, ctypes.c_int(1), ctypes.c_int(2), ctypes.c_int(39)), "Variadic" in f.feat_sum.__doc__)
print("anonymous enum", f.FEAT_SMALL, f.FEAT_LARGE, f.FEAT_NEGATIVE)
print("named enum", f.feat_color.FEAT_BLUE == 5, f.feat_next_color(f.FEAT_GREEN) == f.FEAT_BLUE)
print("macros", f.FEAT_LIMIT, f.FEAT_NAME)
s = f.feat_shape()
f.feat_make(ctypes.byref(s), 7, b"box")
print("nested", s.kind, s.origin.x, s.origin.y, s.size.w, s.size.h, s.as_float, s.label, f.feat_area(s))
print("sizes", ctypes.sizeof(f.feat_shape) == f._C_SIZES["feat_shape"])
print("bytes", f.feat_count_bytes(b"abcabca", 7, ord("a")), f.feat_count_bytes(bytearray(b"zz"), 2, ord("z")))
print("unexported", hasattr(f, "feat_not_exported"), hasattr(f, "feat_internal_helper"))
print("doc", f.feat_map.__doc__.splitlines()[-1])
PY
)
check_eq "python: a callback through its typedef" "callback 12.0 [2.0, 4.0, 6.0]" "$(printf '%s\n' "$res" | grep '^callback')"
check_eq "python: a variadic function, fixed part typed" "variadic 42 True" "$(printf '%s\n' "$res" | grep '^variadic')"
check_eq "python: an anonymous enum's constants" "anonymous enum 1 1000 -5" "$(printf '%s\n' "$res" | grep '^anonymous enum')"
check_eq "python: a named enum as IntEnum" "named enum True True" "$(printf '%s\n' "$res" | grep '^named enum')"
check_eq "python: #define constants" "macros 64 features" "$(printf '%s\n' "$res" | grep '^macros')"
check_eq "python: nested and anonymous members" "nested 7 1.5 -2.5 3 7 0.5 b'box' 21" "$(printf '%s\n' "$res" | grep '^nested')"
check_eq "python: the struct's size is the C compiler's" "sizes True" "$(printf '%s\n' "$res" | grep '^sizes')"
check_eq "python: uint8_t * takes bytes and bytearray" "bytes 3 2" "$(printf '%s\n' "$res" | grep '^bytes')"
check_eq "only exported functions get wrappers" "unexported False False" "$(printf '%s\n' "$res" | grep '^unexported')"
check_eq "doc comments become docstrings" "doc Applies fn to each of the n values in place and returns their sum." "$(printf '%s\n' "$res" | grep '^doc')"
has "$res" Traceback && printf '%s\n' "$res"
jl=$WORK/feat/julia/Features.jl
check "julia: the callback type is named" grep -q '^const feat_map_fn = Ptr{Cvoid}' "$jl"
check "julia: the nested struct is a struct of its own" grep -q '^struct feat_size' "$jl"
check "julia: the variadic function says so" grep -q 'Variadic: this wrapper passes the fixed arguments only' "$jl"
check "julia: ccall with the library constant" grep -q 'ccall((:feat_area, LIBRARY_PATH), UInt64, (Ptr{feat_shape},), shape)' "$jl"

# ---- a library without headers ----
out=$(jm wrap "$WORK/libfeatures.so" --module NoHeaders --output "$WORK/nohdr" 2>&1); rc=$?
check_eq "wrap without headers exits 0" 0 "$rc"
check "and warns that signatures are unknown" has "$out" 'warning: no headers given'
res=$(py "$WORK/nohdr/python" <<'PY' 2>&1
import ctypes, noheaders as n
names = sorted(k for k in dir(n) if k.startswith("feat_"))
print("names", " ".join(names))
print("doc", "Unknown signature" in n.feat_sum.__doc__)
n.feat_next_color.restype = ctypes.c_int
print("call", n.feat_next_color(0))
PY
)
check_eq "every exported function gets a wrapper" "names feat_area feat_count_bytes feat_make feat_map feat_next_color feat_sum" "$(printf '%s\n' "$res" | grep '^names')"
check_eq "marked as unknown signature" "doc True" "$(printf '%s\n' "$res" | grep '^doc')"
check_eq "and callable once typed by hand" "call 4" "$(printf '%s\n' "$res" | grep '^call')"
check "the Julia module says how to add headers" grep -q 'Add them with' "$WORK/nohdr/julia/NoHeaders.jl"

# ---- a C++ library: names demangled ----
c++ -shared -fPIC -O1 -o "$WORK/libgeometry.so" "$FIX/geometry.cpp"
jm wrap "$WORK/libgeometry.so" --output "$WORK/cpp" >/dev/null 2>&1; rc=$?
check_eq "wrap a C++ library exits 0" 0 "$rc"
res=$(py "$WORK/cpp/python" <<'PY' 2>&1
import geometry as g
print("demangled", sorted(k for k in g.CPP_NAMES if k.startswith("geom::")))
print("doc", "geom::area(double)" in g._ZN4geom4areaEd.__doc__)
PY
)
check_eq "C++ names are demangled" "demangled ['geom::area(double)', 'geom::area(int, int)', 'geom::name[abi:cxx11]()', 'geom::use(geom::Circle const&)']" "$(printf '%s\n' "$res" | grep '^demangled')"
check_eq "and named in the docstrings" "doc True" "$(printf '%s\n' "$res" | grep '^doc')"
check "the Julia docstring has the C++ name" grep -q 'is the C++ function `geom::area(int, int)`' "$WORK/cpp/julia/Geometry.jl"

# ---- bad input ----
err=$(jm wrap /etc/hostname --output "$WORK/bad" 2>&1); rc=$?
check_eq "a file that is not an ELF shared library fails the job" 1 "$rc"
check "with one clear line" has "$err" 'hostname is not an ELF shared library'
check "and writes nothing" test ! -e "$WORK/bad"
err=$(jm wrap "$WORK/no-such-lib.so" 2>&1); rc=$?
check_eq "a library that is nowhere exits 2" 2 "$rc"
check "naming where it looked" has "$err" 'not in the linker.s folders \(.*/usr/lib'
out=$(jm --json wrap "$WORK/libfeatures.so" --header "$FIX/broken.h" --output "$WORK/broken" 2>&1); rc=$?
check_eq "a header libclang cannot fully parse still wraps" 0 "$rc"
check "its diagnostics are FILE:LINE:COL" has "$out" 'broken.h:4:[0-9]+: error'
check "and the declarations it could read are used" has "$(grep -c 'argtypes\|_function("feat_sum", ctypes.c_int, \[ctypes.c_int\]' "$WORK/broken/python/features.py")" '^[1-9]'
out=$(jm wrap "$WORK/libfeatures.so" --header "$FIX/nothing.h" --output "$WORK/nothing" 2>&1); rc=$?
check_eq "a header that declares nothing exported still wraps" 0 "$rc"
check "with a warning saying so" has "$out" 'warning: the headers declare nothing the library exports'
# A job file naming the seed's binary: args carry headers, output_dir and languages.
cat > "$WORK/wrap_jobs.toml" <<TOML
[[jobs]]
id = "wrap_binary"
type = "wrapping"
priority = 2
binary_path = "$WORK/libfeatures.so"
args = { headers = ["$FIX/features.h"], output_dir = "$WORK/jobfile", languages = ["python"], module_name = "FromJob" }
TOML
jm submit "$WORK/wrap_jobs.toml" >/dev/null && jm job wait wrap_binary --timeout 60 >/dev/null; rc=$?
check_eq "a wrapping job from a job file completes" 0 "$rc"
check "writing only the languages asked for" test -f "$WORK/jobfile/python/fromjob.py" -a ! -e "$WORK/jobfile/julia"
check "its result lists the files" has "$(jm job result wrap_binary)" 'fromjob.py'

# ---- every generated .jl is valid Julia (tree-sitter's grammar; no Julia runtime here) ----
NPM_DIR=${JMAKE_BINARY_DIR:-$TEST_HOME}/npm
if [ ! -f "$NPM_DIR/node_modules/tree-sitter-julia/tree-sitter-julia.wasm" ]; then
    npm install --silent --no-audit --no-fund --prefix "$NPM_DIR" web-tree-sitter tree-sitter-julia@0.23.1 >/dev/null 2>&1
fi
if [ -f "$NPM_DIR/node_modules/tree-sitter-julia/tree-sitter-julia.wasm" ] && command -v node >/dev/null; then
    mapfile -t jls < <(find "$WORK" -name '*.jl' | sort)
    out=$(node "$SRC/tests/integration/julia_syntax.cjs" "$NPM_DIR/node_modules" "${jls[@]}" 2>&1); rc=$?
    check_eq "tree-sitter parses all ${#jls[@]} generated .jl files without ERROR or MISSING nodes" 0 "$rc"
    [ "$rc" -ne 0 ] && printf '%s\n' "$out" | head -20
    check "there are at least 6 of them" test "${#jls[@]}" -ge 6
elif [ "${CI:-}" = true ]; then
    fail "tree-sitter-julia could not be installed with npm into $NPM_DIR: the Julia syntax check cannot run in CI"
else
    echo "skipped: the Julia syntax check (npm could not install web-tree-sitter and tree-sitter-julia@0.23.1 into $NPM_DIR)"
fi

finish
