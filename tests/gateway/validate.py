#!/usr/bin/env python3
"""Validates the Gateway API objects of YAML streams against the v1.6.1 standard CRDs.

Usage: validate.py CRD_DIR YAML...

For every Gateway, HTTPRoute and ReferenceGrant of each stream (other kinds are left to
kubernetes-validate), as the API server would:

1. the CRD's structural schema (`openAPIV3Schema` of the served version), as JSON Schema
   with jsonschema: `x-kubernetes-*` keys dropped, and unknown fields rejected
   (`additionalProperties: false` wherever the schema lists `properties`, as the API
   server does with strict field validation);
2. the schema's defaults applied (the API server defaults before it runs CEL);
3. every `x-kubernetes-validations` CEL rule on the path to each value, evaluated with
   cel-python (`celpy`), `self` bound to the value. Field names that are CEL reserved
   words are escaped as Kubernetes does (`namespace` is `__namespace__`).

Exit 0 when every object passes, 1 otherwise; one line per object.
"""

import copy
import sys
from pathlib import Path

import celpy
import jsonschema
import yaml

KINDS = {"Gateway": "gateways.yaml", "HTTPRoute": "httproutes.yaml",
         "ReferenceGrant": "referencegrants.yaml"}
CEL_RESERVED = {"as", "break", "const", "continue", "else", "false", "for", "function",
                "if", "import", "in", "let", "loop", "package", "namespace", "null",
                "return", "true", "var", "void", "while"}


def schema_of(crd_dir, kind, version):
    crd = yaml.safe_load((crd_dir / KINDS[kind]).read_text())
    for v in crd["spec"]["versions"]:
        if v["name"] == version and v.get("served"):
            return v["schema"]["openAPIV3Schema"]
    return None


def json_schema(node):
    """The structural schema as JSON Schema: strict, without Kubernetes extensions."""
    if isinstance(node, list):
        return [json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key.startswith("x-kubernetes-") or key == "description":
            continue
        if key == "properties":
            out[key] = {k: json_schema(v) for k, v in value.items()}
        elif key == "default":
            out[key] = value
        else:
            out[key] = json_schema(value)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if "properties" in out and "additionalProperties" not in out and \
            not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    if node.get("format") == "int32":
        out.pop("format")
    return out


def with_defaults(schema, value):
    """The value with the schema's defaults filled in, as the API server defaults."""
    if isinstance(value, dict) and "properties" in schema:
        for key, sub in schema["properties"].items():
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                value[key] = with_defaults(sub, value[key])
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key in value:
            value[key] = with_defaults(schema["additionalProperties"], value[key])
    elif isinstance(value, list) and "items" in schema:
        return [with_defaults(schema["items"], v) for v in value]
    return value


def to_cel(value):
    if isinstance(value, dict):
        return celpy.celtypes.MapType({
            celpy.celtypes.StringType(f"__{k}__" if k in CEL_RESERVED else k): to_cel(v)
            for k, v in value.items()})
    if isinstance(value, list):
        return celpy.celtypes.ListType([to_cel(v) for v in value])
    if isinstance(value, bool):
        return celpy.celtypes.BoolType(value)
    if isinstance(value, int):
        return celpy.celtypes.IntType(value)
    if isinstance(value, str):
        return celpy.celtypes.StringType(value)
    return value


ENV = celpy.Environment()
PROGRAMS = {}


def rule_holds(rule, value):
    program = PROGRAMS.get(rule)
    if program is None:
        program = ENV.program(ENV.compile(rule))
        PROGRAMS[rule] = program
    result = program.evaluate({"self": to_cel(value)})
    if isinstance(result, Exception):
        raise result
    return bool(result)


def cel_errors(schema, value, path, counter):
    errors = []
    for check in schema.get("x-kubernetes-validations", []):
        counter[0] += 1
        try:
            holds = rule_holds(check["rule"], value)
        except Exception as error:  # an evaluation error is a failure, as in the API server
            errors.append(f"{path}: rule could not be evaluated ({error}): {check['rule'][:120]}")
            continue
        if not holds:
            errors.append(f"{path}: {check.get('message', check['rule'])}")
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                errors += cel_errors(sub, value[key], f"{path}.{key}", counter)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in value:
                errors += cel_errors(extra, value[key], f"{path}.{key}", counter)
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += cel_errors(schema["items"], item, f"{path}[{i}]", counter)
    return errors


def main():
    crd_dir = Path(sys.argv[1])
    failed = checked = 0
    for stream in sys.argv[2:]:
        for obj in yaml.safe_load_all(Path(stream).read_text()):
            if not obj or obj.get("kind") not in KINDS:
                continue
            checked += 1
            group, _, version = obj["apiVersion"].partition("/")
            name = f"{stream}: {obj['kind']} {obj['metadata'].get('namespace')}/{obj['metadata']['name']}"
            schema = schema_of(crd_dir, obj["kind"], version) if group == "gateway.networking.k8s.io" else None
            if schema is None:
                print(f"FAIL {name}: {obj['apiVersion']} is not served by the CRD")
                failed += 1
                continue
            problems = [f"schema: {e.json_path}: {e.message}" for e in
                        jsonschema.Draft7Validator(json_schema(schema)).iter_errors(obj)]
            counter = [0]
            if not problems:
                problems = cel_errors(schema, with_defaults(schema, copy.deepcopy(obj)), "", counter)
            if problems:
                failed += 1
                print(f"FAIL {name}")
                for problem in problems:
                    print(f"     {problem}")
            else:
                print(f"ok   {name} (schema, {counter[0]} CEL rules)")
    print(f"{checked} Gateway API objects checked, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
