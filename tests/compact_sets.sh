#!/usr/bin/env bash
# Compact and chunked vector sets end to end, checked by numpy (an independent reader and psum
# computation): the dump is byte-identical run to run; every file loads with numpy.load and its
# psums are the convolution of its integers; a set that omits psums co-simulates to the same
# cycles as one that stores them; a psum planted by numpy's own writer fails exactly its unit.
#   tests/compact_sets.sh SA_GOLDEN SA_COSIM SOURCE_DIR   (SA_CACHE: the test cores' cache)
set -euo pipefail
golden="$1" cosim="$2" src="$3"
py=/usr/bin/python3  # Debian's, for which python3-numpy is installed
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "compact_sets: $*" >&2; exit 1; }

dump() {  # OUT FLAGS...
  local out="$1"
  shift
  "$golden" dump --checkpoint "$src/golden/checkpoints/w4a4/model.pt" \
    --samples "$src/vectors/samples/test_images.npy" \
    --images 0,1000,2000,3000,4000,5000,6000,7000,8000,9000 --out "$out" "$@" >/dev/null 2>&1 ||
    fail "dump $* failed"
}
dump "$work/a" --compact --chunk-images 4
dump "$work/b" --compact --chunk-images 4
diff -r "$work/a" "$work/b" >/dev/null || fail "two dumps of the same images differ"
dump "$work/c" --compact --chunk-images 4 --omit-psums

"$py" - "$work/a" "$work/c" <<'EOF'
import json, os, sys
import numpy as np
a, c = sys.argv[1], sys.argv[2]
m = json.load(open(f"{a}/manifest.json"))
assert m["version"] == 2 and m["psums"] == "stored", m
assert [ch["images"] for ch in m["chunks"]] == [4, 4, 2], m["chunks"]
assert json.load(open(f"{c}/manifest.json"))["psums"] == "computed"
for ch in m["chunks"]:
    for layer in m["layers"]:
        d = f"{a}/{ch['dir']}/{layer}"
        info = json.load(open(f"{d}/layer.json"))
        act = np.load(f"{d}/act.npz")["act"]
        wgt = np.load(f"{d}/wgt.npz")["wgt"]
        psum = np.load(f"{d}/psum.npz")["psum"]
        assert act.dtype == np.uint8 and wgt.dtype == np.int8, (act.dtype, wgt.dtype)
        assert psum.dtype == np.dtype(info["files"]["psum"]["dtype"]), psum.dtype
        # The convolution, by numpy: pad, then one tensor contraction per kernel offset.
        k, s, p = info["kernel"], info["stride"], info["padding"]
        x = np.pad(act.astype(np.int64), ((0, 0), (0, 0), (p, p), (p, p)))
        oh, ow = info["out_h"], info["out_w"]
        want = np.zeros((act.shape[0], wgt.shape[0], oh, ow), np.int64)
        for ky in range(k):
            for kx in range(k):
                win = x[:, :, ky:ky + s * oh:s, kx:kx + s * ow:s]
                want += np.einsum("nchw,oc->nohw", win, wgt[:, :, ky, kx].astype(np.int64))
        assert np.array_equal(want, psum), (ch["dir"], layer)
        assert psum.min() == info["psum_min"] and psum.max() == info["psum_max"]
        assert not os.path.exists(f"{c}/{ch['dir']}/{layer}/psum.npz")
EOF

layers=layer1.0.conv1,layer2.0.conv1,layer3.2.conv2
"$cosim" --vectors "$work/a" --layers $layers --jobs 2 --quiet --report "$work/a.json" >/dev/null ||
  fail "sa-cosim failed on the compact set"
"$cosim" --vectors "$work/c" --layers $layers --jobs 2 --quiet --report "$work/c.json" >/dev/null ||
  fail "sa-cosim failed on the set without psums"

# A psum planted with numpy's own .npz writer (and its checksum updated): exactly that unit fails.
"$py" - "$work/a/chunk-000001/layer3.2.conv2" <<'EOF'
import hashlib, json, sys
import numpy as np
d = sys.argv[1]
p = np.load(f"{d}/psum.npz")["psum"].copy()
p[1, 5, 2, 3] += 1  # image 1 of chunk 1: test image 5000
np.savez_compressed(f"{d}/psum.npz", psum=p)
info = json.load(open(f"{d}/layer.json"))
info["files"]["psum"]["sha256"] = hashlib.sha256(open(f"{d}/psum.npz", "rb").read()).hexdigest()
json.dump(info, open(f"{d}/layer.json", "w"), indent=2)
EOF
rc=0
"$cosim" --vectors "$work/a" --layers $layers --jobs 2 --quiet --report "$work/bad.json" \
  >"$work/bad.txt" || rc=$?
((rc == 1)) || fail "the planted psum: sa-cosim exited $rc, 1 wanted"

"$py" - "$work/a.json" "$work/c.json" "$work/bad.json" <<'EOF'
import json, sys
a, c, bad = (json.load(open(p)) for p in sys.argv[1:4])
assert a["total"]["passed"] and c["total"]["passed"]
assert len(a["units"]) == len(c["units"]) == 30, len(a["units"])
for x, y in zip(a["units"], c["units"]):
    assert (x["name"], x["test_image"], x["cycles"], x["psums_compared"]) == \
           (y["name"], y["test_image"], y["cycles"], y["psums_compared"]), (x["name"], x["test_image"])
failed = [(u["name"], u["test_image"]) for u in bad["units"] if not u["passed"]]
assert failed == [("layer3.2.conv2", 5000)], failed
m = bad["units"][[u["passed"] for u in bad["units"]].index(False)]["first_mismatches"][0]
assert (m["channel"], m["row"], m["col"], m["got"] - m["expected"]) == (5, 2, 3, -1), m
EOF
echo "compact_sets: byte-identical dumps, numpy's psums, same cycles without psums, planted psum caught"
