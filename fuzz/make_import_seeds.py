#!/usr/bin/python3
"""Writes fuzz/corpus/import/: small files as torch.save writes them (run by a person with
Debian's python3-torch; the fixtures of tests/fixtures/notebook_pth are too large to mutate
quickly): a module's state_dict() with _metadata, the same in a one-item dict (pickled with
SETITEM), a DataParallel-style checkpoint with 'module.' names, and views with storage offsets
in float16 and bfloat16.
    /usr/bin/python3 fuzz/make_import_seeds.py fuzz/corpus/import
"""
import os
import sys

import torch
import torch.nn as nn


class WeightQuant(nn.Module):
    def __init__(self):
        super().__init__()
        self.wgt_alpha = nn.Parameter(torch.tensor(2.0))


class QuantConv(nn.Conv2d):
    def __init__(self):
        super().__init__(2, 2, 1, bias=False)
        self.weight_quant = WeightQuant()
        self.act_alpha = nn.Parameter(torch.tensor(3.0))


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = QuantConv()
        self.bn1 = nn.BatchNorm2d(2)


def main():
    out = sys.argv[1]
    torch.manual_seed(0)
    m = Tiny()
    sd = m.state_dict()
    torch.save(sd, os.path.join(out, 'module_state_dict.pth'))
    torch.save({'state_dict': sd}, os.path.join(out, 'one_item_dict.pth'))
    torch.save({'state_dict': {'module.' + k: v for k, v in sd.items()}, 'epoch': 3,
                'best_prec': 1.5}, os.path.join(out, 'checkpoint.pth'))
    torch.save({'x': torch.arange(6, dtype=torch.float16).reshape(2, 3)[:, 1:],
                'y': torch.zeros(3, dtype=torch.bfloat16)}, os.path.join(out, 'views.pth'))


if __name__ == '__main__':
    main()
