#!/usr/bin/env python3
"""Regenerate tests/data/helm_cases.json: every case's expected outputs as rendered by real Helm.

Each input is passed to Helm with --set-json (wrapped in a one-element list so a null survives
value coalescing), and one template prints toYaml, toYamlPretty, toJson, toRawJson, toPrettyJson
and toToml of it. Run from the crate root:

    ~/.cache/helm-venv/bin/python tools/gen_cases.py
"""
import json
import os
import subprocess
import sys
import tempfile

HELM_RENDER = "/work/shared/tools/helm-render/helm-render"
PYTHON = os.path.expanduser("~/.cache/helm-venv/bin/python")

sys.path.insert(0, os.path.dirname(__file__))
from case_inputs import CASES  # noqa: E402

FUNCS = [
    ("to_yaml", "toYaml"),
    ("to_yaml_pretty", "toYamlPretty"),
    ("to_json", "toJson"),
    ("to_raw_json", "toRawJson"),
    ("to_pretty_json", "toPrettyJson"),
    ("to_toml", "toToml"),
]


def render(cases):
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "templates"))
        with open(os.path.join(d, "Chart.yaml"), "w") as f:
            f.write("apiVersion: v2\nname: t\nversion: 0.1.0\n")
        with open(os.path.join(d, "values.yaml"), "w") as f:
            f.write("{}\n")
        body = "{{- range $k, $v := .Values.cases }}{{ $x := index $v 0 }}@@@CASE {{ $k }}\n"
        for key, fn in FUNCS:
            if fn == "toToml":
                # toToml of nil panics in the TOML encoder (the render fails): skip it.
                body += "@@@%s\n{{ if eq (kindOf $x) \"invalid\" }}(nil){{ else }}{{ %s $x }}{{ end }}\n" % (key, fn)
            else:
                body += "@@@%s\n{{ %s $x }}\n" % (key, fn)
        body += "{{ end }}"
        with open(os.path.join(d, "templates", "t.yaml"), "w") as f:
            f.write(body)
        values = {"cases": {"c%04d" % i: [v] for i, (_, v) in enumerate(cases)}}
        proc = subprocess.run(
            [PYTHON, HELM_RENDER, "--chart", d, "--set-json", json.dumps(values)],
            capture_output=True, text=True,
        )
        if proc.returncode != 0:
            sys.exit("helm-render failed: " + proc.stderr[:2000])
        out = proc.stdout
    text = json.loads(out)["t/templates/t.yaml"]
    results = {}
    for block in text.split("@@@CASE ")[1:]:
        key, rest = block.split("\n", 1)
        fields = {}
        for part in rest.split("@@@")[1:]:
            name, value = part.split("\n", 1)
            assert value.endswith("\n"), (key, name)
            fields[name] = value[:-1]
        results[key] = fields
    return results


def main():
    results = render(CASES)
    table = []
    for i, (name, value) in enumerate(CASES):
        row = {"name": name, "input": value}
        row.update(results["c%04d" % i])
        table.append(row)
    with open("tests/data/helm_cases.json", "w") as f:
        json.dump(table, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("wrote %d cases" % len(table))


if __name__ == "__main__":
    main()
