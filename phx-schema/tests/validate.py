#!/usr/bin/python3
"""Validates documents against Phoenix's schemas with python3-jsonschema, an
implementation independent of the Rust code that builds them.

stdin:  {"schemas": {NAME: SCHEMA}, "docs": [[NAME, DOCUMENT], ...]}
stdout: one list per document of {"path": [KEY or INDEX...], "message": TEXT}
"""
import json
import sys

import jsonschema

request = json.load(sys.stdin)
validators = {}
for name, schema in request["schemas"].items():
    jsonschema.Draft7Validator.check_schema(schema)
    validators[name] = jsonschema.Draft7Validator(schema)
out = []
for name, doc in request["docs"]:
    errors = validators[name].iter_errors(doc)
    out.append([{"path": list(e.absolute_path), "message": e.message} for e in errors])
json.dump(out, sys.stdout)
