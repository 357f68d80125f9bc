#!/usr/bin/env python3
"""Independent reader of sa-cosim waveforms (not the project's writer): finds the first
timestamp at which the testbench's tb.mismatch flag is 1 and prints, as JSON, the tb scope's
values then: the counters (unit, layer, test_image, act_pass, ...) and, per column,
psum_got_N and psum_expected_N as signed integers of their declared width.

usage: check_vcd.py FILE.vcd      (FST: fst2vcd FILE.fst | check_vcd.py -)
Exit status 1 when tb.mismatch is never 1.
"""
import json
import sys


def main():
    f = sys.stdin if sys.argv[1] == '-' else open(sys.argv[1])
    scope, names, width, values = [], {}, {}, {}
    time = None

    def report():
        cols = sorted(int(n.rsplit('_', 1)[1]) for n in values if n.startswith('psum_got_'))
        out = {k: v for k, v in values.items() if not k.startswith(('psum_got_', 'psum_exp'))}
        out['time'] = time
        out['got'] = [values[f'psum_got_{c}'] for c in cols]
        out['expected'] = [values[f'psum_expected_{c}'] for c in cols]
        print(json.dumps(out, sort_keys=True))

    for line in f:
        tok = line.split()
        if not tok:
            continue
        head = tok[0]
        if head == '$scope':
            scope.append(tok[2])
        elif head == '$upscope':
            scope.pop()
        elif head == '$var':
            if scope and scope[-1] == 'tb':
                names.setdefault(tok[3], []).append(tok[4])
                width[tok[4]] = int(tok[2])
        elif head[0] == '#':
            if values.get('mismatch') == 1:  # the state at the end of the previous timestamp
                report()
                return 0
            time = int(head[1:])
        elif head[0] in 'bB01xz':
            val, code = (head[1:], tok[1]) if head[0] in 'bB' else (head[0], head[1:])
            for name in names.get(code, []):
                bits = int(val.replace('x', '0').replace('z', '0'), 2)
                if name.startswith(('psum_got_', 'psum_exp')) and bits >= 1 << (width[name] - 1):
                    bits -= 1 << width[name]
                values[name] = bits
    if values.get('mismatch') == 1:
        report()
        return 0
    print(json.dumps({'error': 'tb.mismatch is never 1', 'tb_signals': sorted(width)}))
    return 1


if __name__ == '__main__':
    sys.exit(main())
