#!/usr/bin/env python3
"""Validates recorded HTTP responses against an OpenAPI 3.1 document.

Used for the Prisma emulator (against Prisma's published document) and for Claimgate's own API
(against openapi/claimgate.json).

Usage: validate_responses.py OPENAPI_JSON SAMPLES_JSON
SAMPLES_JSON is a list of {"method", "path" (the OpenAPI path template), "status", "body"}.
Every sample must use a status the operation documents, and a JSON body must validate against
that status's schema (Draft 2020-12, as OpenAPI 3.1 uses). Prints one line per failure and a
closing "N passed, N failed" line; exits 1 on any failure.
"""
import json
import sys

from jsonschema import Draft202012Validator, FormatChecker


def main() -> int:
    spec = json.load(open(sys.argv[1]))
    samples = json.load(open(sys.argv[2]))
    passed = failed = 0
    for sample in samples:
        label = f'{sample["method"]} {sample["path"]} → {sample["status"]}'
        operation = spec["paths"].get(sample["path"], {}).get(sample["method"].lower())
        if operation is None:
            print(f"FAIL {label}: operation not in the spec")
            failed += 1
            continue
        response = operation["responses"].get(str(sample["status"]))
        if response is None:
            print(f"FAIL {label}: status not documented (documented: {sorted(operation['responses'])})")
            failed += 1
            continue
        content = response.get("content", {})
        media = content.get("application/json") or content.get("application/problem+json") or {}
        schema = media.get("schema")
        if schema is not None and "components" in spec:
            # Let "#/components/..." references resolve inside the response schema.
            schema = dict(schema, components=spec["components"])
        body = sample.get("body")
        if schema is None:
            if body not in (None, ""):
                print(f"FAIL {label}: the spec documents no body, got one")
                failed += 1
            else:
                passed += 1
            continue
        errors = sorted(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(body), key=str)
        if errors:
            failed += 1
            for error in errors[:5]:
                where = "/".join(str(p) for p in error.absolute_path)
                print(f"FAIL {label}: at '{where}': {error.message[:200]}")
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
