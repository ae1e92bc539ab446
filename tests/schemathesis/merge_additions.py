#!/usr/bin/env python3
"""The seed with the documented additions of spec/contract-diff.txt, for schemathesis.

Usage: merge_additions.py SEED.yaml SERVED.json OUT.json

Schemathesis checks the server against the seed (spec/dokku-pro.openapi.yaml). The only
deviations it may accept are the documented additions, and those are taken from the served
document (spec/generated/dokku-pro.json), which `cargo xtask openapi check` keeps equal to the
seed plus exactly what spec/contract-diff.txt lists. Taken from it, for the seed's 54 operations
only (run.sh tests the extensions against the served document itself):

* every response status the served document lists and the seed does not (400, 401, 404, 409,
  413, 429, 500, 503, 504 per operation), with the served document's body schema;
* the optional `meta` property of an error object;
* login: the `data` property of the 201 body, the optional request body (Basic credentials need
  none), and no `default` for `refresh_token` (the seed's default is its example value).

Everything else, schemas included, stays the seed's. A served schema brought in keeps its
components under a `served.` prefix, so it can never replace a seed schema.
"""

import copy
import json
import sys

import yaml

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
PREFIX = "served."


def main(seed_path, served_path, out_path):
    with open(seed_path, encoding="utf-8") as f:
        seed = yaml.safe_load(f)
    with open(served_path, encoding="utf-8") as f:
        served = json.load(f)
    # The seed's status codes are unquoted, so YAML makes them integers.
    seed = json.loads(json.dumps(seed))
    importer = Importer(served, seed)

    added = 0
    for path, item in seed["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            theirs = served["paths"][path][method]
            if theirs.get("operationId") != op.get("operationId"):
                sys.exit(f"{method} {path}: operationId differs between the seed and the served document")
            for code, response in theirs["responses"].items():
                if code not in op["responses"]:
                    op["responses"][code] = importer.fragment(response)
                    added += 1

    schemas = seed["components"]["schemas"]
    served_schemas = served["components"]["schemas"]

    # Error objects may carry `meta`.
    schemas["Error"]["properties"]["meta"] = importer.fragment(served_schemas["Error"]["properties"]["meta"])

    # Login: an optional body, no default refresh token, and the Token repeated under `data`.
    login = seed["paths"]["/tokens"]["post"]
    login["requestBody"]["required"] = served["paths"]["/tokens"]["post"]["requestBody"]["required"]
    for name in ("TokenCreate", "Token"):
        schemas[name]["properties"]["attributes"]["properties"]["refresh_token"].pop("default", None)
    served_201 = served["paths"]["/tokens"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    data = resolve(served, served_201)["properties"]["data"]
    body = login["responses"]["201"]["content"]["application/json"]
    body["schema"] = {"allOf": [body["schema"]], "properties": {"data": importer.fragment(data)}}

    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(seed, f, indent=1, sort_keys=True)
    print(f"seed + {added} documented response additions -> {out_path}")


def resolve(doc, schema):
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return doc["components"]["schemas"][ref.rsplit("/", 1)[1]]


class Importer:
    """Copies fragments of the served document, bringing the components they name along."""

    def __init__(self, served, seed):
        self.served = served
        self.seed = seed

    def fragment(self, value):
        value = copy.deepcopy(value)
        self._rewrite(value)
        return value

    def _rewrite(self, value):
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                value["$ref"] = "#/components/schemas/" + PREFIX + name
                schemas = self.seed["components"]["schemas"]
                if PREFIX + name not in schemas:
                    schemas[PREFIX + name] = None  # placeholder: stops recursion on cycles
                    schemas[PREFIX + name] = self.fragment(self.served["components"]["schemas"][name])
            for v in value.values():
                self._rewrite(v)
        elif isinstance(value, list):
            for v in value:
                self._rewrite(v)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
