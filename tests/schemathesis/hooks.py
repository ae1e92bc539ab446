"""Schemathesis hooks for tests/schemathesis/run.sh: reach past the not-found checks.

The seed constrains almost nothing (no patterns, no required fields), so nearly every generated
app name, composite id or service id is refused with 400 or 404 before the server does any real
work. These hooks offer, next to each generated request value, variants that name the fixtures
`create_fixtures()` makes (the seed's example names: node-js-app, lollipop, ...; run.sh calls it
before the run), and hypothesis picks among them, so most cases run the code behind the lookups.
The file names of the reference page's assets are offered the same way, taken from the page.
Only request values change: the checks, the schema and the responses are untouched, and the
generated value itself is always one of the choices.

`after_call` puts the fixtures back when a case deleted one of them, so that later cases still
find them. run.sh passes the server's URL and token in DOKKU_PRO_ST_BASE and DOKKU_PRO_ST_TOKEN.
"""

import copy
import functools
import json
import os
import re
import urllib.error
import urllib.request

import schemathesis
from hypothesis import strategies as st

APP = "node-js-app"
SERVICE = "lollipop"
# A throwaway key (no private half is kept anywhere): a valid key for POST /sshKeys.
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFKvNsiUhGCaOpJ4OAiQj9OVq2JJUCJjel7nqNdt3mqe schemathesis"

# The fixtures, in creation order (the link needs the app and the service).
FIXTURES = [
    ("/apps", {"data": {"type": "apps", "id": APP}}),
    ("/domains", {"data": {"type": "domains", "attributes": {"app_id": APP, "domain": f"{APP}.example.com"}}}),
    ("/envs", {"data": {"type": "envs", "attributes": {"app_id": APP, "key": "KEY", "value": "a secret value"}}}),
    ("/buildpacks", {"data": {"type": "buildpacks", "attributes": {"app_id": APP, "buildpack": "heroku/nodejs"}}}),
    (
        "/formations",
        {"data": {"type": "formations", "attributes": {"app_id": APP, "process_type": "web", "quantity": 1}}},
    ),
    (
        "/resources",
        {
            "data": {
                "type": "resources",
                "attributes": {
                    "app_id": APP,
                    "process_type": "web",
                    "resource_type": "limit",
                    "name": "cpu",
                    "value": "1",
                },
            }
        },
    ),
    ("/httpAuthIPs", {"data": {"type": "httpAuthIPs", "attributes": {"app_id": APP, "ip_address": "127.0.0.1"}}}),
    (
        "/httpAuthUsers",
        {
            "data": {
                "type": "httpAuthUsers",
                "attributes": {"app_id": APP, "username": "test-user", "password": "hunter2"},
            }
        },
    ),
    ("/services", {"data": {"type": "services", "id": f"postgres:{SERVICE}"}}),
    (f"/apps/{APP}/relationships/services", {"data": [{"type": "services", "id": f"postgres:{SERVICE}"}]}),
]

# Path parameters and the fixture each can name.
FIXTURE_IDS = {
    "appId": APP,
    "serviceName": SERVICE,
    "builderId": "pack",
    "schedulerId": "docker-local",
    "queueJobId": "1",
    "domainId": f"{APP}:node-js-app.example.com",
    "envId": f"{APP}:KEY",
    "formationId": f"{APP}:web",
    "resourceId": f"{APP}:web:limit:cpu",
    "httpAuthIPId": f"{APP}:127.0.0.1",
    "httpAuthUserId": f"{APP}:test-user",
    "buildpackId": f"{APP}:https://github.com/heroku/heroku-buildpack-nodejs.git",
}


def _post(path, body, fail=True):
    request = urllib.request.Request(
        os.environ["DOKKU_PRO_ST_BASE"] + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": "Bearer " + os.environ["DOKKU_PRO_ST_TOKEN"],
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as e:
        # 409: it is still there.
        if fail and e.code != 409:
            raise RuntimeError(f"fixture POST {path} answered {e.code}: {e.read()!r}") from e
        return e.code


def create_fixtures():
    for path, body in FIXTURES:
        _post(path, body)


@functools.cache
def docs_files():
    """The files the reference page (GET /docs) links: their names carry content fingerprints."""
    with urllib.request.urlopen(os.environ["DOKKU_PRO_ST_BASE"] + "/docs", timeout=30) as response:
        page = response.read().decode()
    return sorted(set(re.findall(r'"docs/([^"/]+)"', page)))


@schemathesis.hook
def flatmap_path_parameters(context, params):
    if not params:
        return st.just(params)
    if set(params) == {"asset"}:
        # GET /docs/{asset}: every file of the page (script, style sheet, icon, licence texts).
        return st.sampled_from([params] + [{"asset": name} for name in docs_files()])
    fixture = {k: FIXTURE_IDS.get(k, v) for k, v in params.items()}
    # A composite id with the fixture app and the generated rest reaches the second lookup.
    prefixed = {k: f"{APP}:{v}" if ":" in FIXTURE_IDS.get(k, "") else fixture[k] for k, v in params.items()}
    return st.sampled_from([params, fixture, prefixed])


# Valid bodies per operation: the creates are the fixtures themselves; the updates set what the
# fixtures already have.
TEMPLATES = {f"POST {path}": body for path, body in FIXTURES if not path.startswith("/apps/")}
TEMPLATES.update(
    {
        "POST /apps/{appId}/relationships/services": FIXTURES[-1][1],
        "DELETE /apps/{appId}/relationships/services": FIXTURES[-1][1],
        "POST /sshKeys": {
            "data": {"type": "sshKeys", "attributes": {"username": "st-user", "ssh_key": SSH_KEY}}
        },
        "PATCH /apps/{appId}": {"data": {"type": "apps", "id": APP, "attributes": {"locked": False}}},
        "PATCH /builderSettings/{appId}": {
            "data": {"type": "builderSettings", "id": APP, "attributes": {"selected": "pack", "build_dir": "sub-dir"}}
        },
        "PATCH /schedulerSettings/{appId}": {
            "data": {"type": "schedulerSettings", "id": APP, "attributes": {"selected": "docker-local"}}
        },
        "PATCH /httpAuths/{appId}": {
            "data": {"type": "httpAuths", "id": APP, "attributes": {"auth_enabled": False}}
        },
        "PATCH /maintenances/{appId}": {
            "data": {"type": "maintenances", "id": APP, "attributes": {"enabled": False}}
        },
        "PATCH /httpAuthUsers/{httpAuthUserId}": {
            "data": {
                "type": "httpAuthUsers",
                "id": f"{APP}:test-user",
                "attributes": {"app_id": APP, "username": "test-user", "password": "hunter2"},
            }
        },
    }
)


@schemathesis.hook
def flatmap_body(context, body):
    operation = context.operation
    label = f"{operation.method.upper()} {operation.path}" if operation else ""
    template = TEMPLATES.get(label)
    if template is None or not isinstance(body, dict) or not isinstance(body.get("data"), (dict, list)):
        return st.just(body)
    variants = [body]
    data = body["data"]
    if isinstance(data, dict) and isinstance(template["data"], dict):
        # The valid body with the generated members laid over it: all of them, then one at a time,
        # so each generated value meets otherwise valid input.
        generated = {k: v for k, v in data.items() if k != "attributes"}
        attributes = data.get("attributes")
        if isinstance(attributes, dict):
            generated.update((f"attributes.{k}", v) for k, v in attributes.items())
        elif "attributes" in data:
            generated["attributes"] = attributes
        variants.append(_overlay(template, generated))
        variants.extend(_overlay(template, {k: v}) for k, v in sorted(generated.items()))
    else:
        # A list of links (or a generated shape unlike the template's): the valid body as it is.
        variants.append(template)
    return st.sampled_from(variants)


def _overlay(template, members):
    body = copy.deepcopy(template)
    data = body["data"]
    for key, value in members.items():
        if key.startswith("attributes."):
            data.setdefault("attributes", {})[key.removeprefix("attributes.")] = value
        else:
            data[key] = value
    return body


@schemathesis.hook
def after_call(context, case, response):
    # Whatever a case deleted of the fixtures, the next case finds again.
    deleted = case.method.upper() == "DELETE" and response.status_code in (202, 204)
    if deleted and not case.path.startswith("/tokens"):
        create_fixtures_quietly()


def create_fixtures_quietly():
    for path, body in FIXTURES:
        _post(path, body, fail=False)
