# test_load.sh - 50 concurrent clients submitting and polling for 30 s: no request fails; prints p50/p99 of submit and status.
. "$(dirname "$0")/../integration/lib.sh"
write_config
start_daemons
mkdir -p "$WORK/scan"
SECONDS_OF_LOAD=${JMAKE_LOAD_SECONDS:-30}

out=$(python3 - "$TEST_HOME/run/jmake.sock" "$WORK/scan" "$SECONDS_OF_LOAD" <<'PY'
import json, socket, struct, sys, threading, time
sock_path, scan, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
lat = {"submit": [], "status": []}
failures, lock = [], threading.Lock()

def call(s, req):
    body = json.dumps(req).encode()
    s.sendall(struct.pack(">I", len(body)) + body)
    head = b""
    while len(head) < 4:
        chunk = s.recv(4 - len(head))
        if not chunk:
            raise ConnectionError("closed")
        head += chunk
    n = struct.unpack(">I", head)[0]
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return json.loads(data)

def client(k):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    end, i = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        i += 1
        for op, req in (("submit", {"v": 1, "op": "submit", "job": {"type": "discovery", "priority": 9,
                                                                    "id": f"l{k}-{i}", "args": {"path": scan}}}),
                        ("status", {"v": 1, "op": "job_status", "id": f"l{k}-{i}", "result": "summary"})):
            t0 = time.monotonic()
            try:
                r = call(s, req)
                ok = r.get("ok")
            except Exception as e:
                ok, r = False, {"error": str(e)}
            dt = (time.monotonic() - t0) * 1000
            with lock:
                lat[op].append(dt)
                if not ok:
                    failures.append(f"{op}: {r.get('error')}")

threads = [threading.Thread(target=client, args=(k,)) for k in range(50)]
for t in threads: t.start()
for t in threads: t.join()
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else 0
print(f"requests={len(lat['submit']) + len(lat['status'])} failed={len(failures)} "
      f"submit_p50={pct(lat['submit'], .5):.1f}ms submit_p99={pct(lat['submit'], .99):.1f}ms "
      f"status_p50={pct(lat['status'], .5):.1f}ms status_p99={pct(lat['status'], .99):.1f}ms")
for f in failures[:5]:
    print("failure:", f)
PY
)
echo "load: $out"
check "50 clients for ${SECONDS_OF_LOAD} s: no request failed" has "$out" ' failed=0 '
check "and they were served" has "$out" '^requests=[1-9][0-9]{3,}'
check "the daemons still answer" jm status

finish
