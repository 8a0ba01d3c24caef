"""Per test file: the processes its tests started, how many imported Keras, their CPU seconds.

``python benchmarks/suite_processes/summary.py LOG`` (LOG written by this folder's
``sitecustomize.py``)."""

import sys

import pandas as pd

columns = ["test", "pid", "wall_s", "cpu_s", "keras", "tensorflow", "argv"]
log = pd.read_csv(sys.argv[1], sep="\t", names=columns, quoting=3)
log["file"] = log["test"].str.split("::").str[0]
table = log.groupby("file").agg(processes=("pid", "size"), with_keras=("keras", "sum"), cpu_s=("cpu_s", "sum"))
print(table.sort_values("cpu_s", ascending=False).to_string())
print(f"\n{len(log)} processes, {log['cpu_s'].sum():.0f} CPU s; {int(log['keras'].sum())} imported Keras "
      f"({log.loc[log['keras'], 'cpu_s'].sum():.0f} CPU s)")
