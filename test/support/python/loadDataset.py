"""Loads every configuration of a dataset folder with Hugging Face `datasets`, as a user would.

usage: python loadDataset.py <folder> [<config> ...]
Prints one JSON object: for each configuration (the folder's default first, as "default"), its row
count, its features (as `datasets` reports them) and its first row.
"""
import json
import sys

import datasets


def describe(ds):
    train = ds["train"]
    return {
        "rows": train.num_rows,
        "features": {name: repr(feature) for name, feature in train.features.items()},
        "first": train[0] if train.num_rows else None,
        "all_ids": list(train["id"]) if "id" in train.column_names else None,
    }


def main():
    folder, configs = sys.argv[1], sys.argv[2:]
    out = {"default": describe(datasets.load_dataset(folder))}
    for name in configs:
        out[name] = describe(datasets.load_dataset(folder, name))
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()
