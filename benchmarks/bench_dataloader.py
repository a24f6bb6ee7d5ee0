"""DataLoader throughput with and without worker processes (issue 14's figure).

    python benchmarks/bench_dataloader.py [--batches 30] [--workers 2]

A dataset whose ``__getitem__`` spends about 2 ms of CPU per sample (pure-Python work standing in for
decoding and augmentation) is read in batches of 32 with ``num_workers=0`` and ``num_workers=N``;
the ratio of batches per second is printed. Target: >= 1.7x with 2 workers on a 2-core machine.
"""
import argparse
import time

import plait
from plait.utils.data import DataLoader, Dataset


def _busy(ms):
    end = time.process_time() + ms / 1e3
    x = 0
    while time.process_time() < end:
        x += 1
    return x


class Expensive(Dataset):
    def __init__(self, n, ms=2.0):
        self.n, self.ms = n, ms

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        _busy(self.ms)
        return plait.full((3, 32, 32), float(i)), i


def batches_per_second(num_workers, batches, batch_size=32):
    loader = DataLoader(Expensive(batches * batch_size), batch_size=batch_size, num_workers=num_workers)
    t0 = time.perf_counter()
    n = sum(1 for _ in loader)  # includes starting the workers, as a user's epoch does
    return n / (time.perf_counter() - t0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    base = batches_per_second(0, args.batches)
    par = batches_per_second(args.workers, args.batches)
    print(f"DataLoader, ~2 ms/sample, batch 32: num_workers=0 {base:6.2f} batches/s   "
          f"num_workers={args.workers} {par:6.2f} batches/s ({par / base:4.2f}x)", flush=True)


if __name__ == "__main__":
    main()
