#!/usr/bin/env python3
"""Drives authing-emulator with Authing's official Python SDK (authing==5.1.0).

Run by scripts/interop-python.sh, which starts the emulator and passes its URL, the credentials
and the seed file. Every check prints one line; the last line is `N passed, M failed` and the
exit status is non-zero when M > 0.

The SDK is used as published. The only thing added is a recorder around `requests.request`
(which the SDK calls for every request, token included) so that the checks can also assert
what the SDK puts on the wire: method, path, headers, query and body.
"""

import argparse
import json
import sys
import traceback
import urllib.request
from urllib.parse import urlsplit

import requests

import authing
from authing import ManagementClient
from authing.AuthingException import AuthingException

EXPECTED_SDK_VERSION = "5.1.0"
TOKEN_PATH = "/api/v3/get-management-token"
TOKEN_OPERATION = "V3ManagementController_getManagementToken"
USER_NOT_FOUND = 2004
# The SDK itself passes no timeout to requests (it would wait forever on a stuck server); the
# recorder adds one so that a hung emulator fails this script instead of hanging CI.
REQUEST_TIMEOUT_SECS = 30

# --- wire recorder ------------------------------------------------------------------------

SENT = []
_original_request = requests.request


def _recording_request(method, url, **kwargs):
    SENT.append(
        {
            "method": method.upper(),
            "path": urlsplit(url).path,
            "headers": dict(kwargs.get("headers") or {}),
            "params": dict(kwargs.get("params") or {}),
            "json": kwargs.get("json"),
        }
    )
    kwargs.setdefault("timeout", REQUEST_TIMEOUT_SECS)
    return _original_request(method, url, **kwargs)


requests.request = _recording_request


def sent_to(path):
    return [r for r in SENT if r["path"] == path]


# --- checks --------------------------------------------------------------------------------

class Mismatch(Exception):
    pass


def expect(actual, expected, what):
    if actual != expected:
        raise Mismatch("%s: expected %r, got %r" % (what, expected, actual))


def expect_ok(response, what):
    if not isinstance(response, dict):
        raise Mismatch("%s: expected a dict from the SDK, got %r" % (what, response))
    if response.get("statusCode") != 200:
        raise Mismatch("%s: expected statusCode 200, got %s" % (what, json.dumps(response, ensure_ascii=False)))
    return response


RESULTS = {"passed": 0, "failed": 0}


def check(name, fn):
    try:
        fn()
    except Mismatch as e:
        RESULTS["failed"] += 1
        print("FAIL %s: %s" % (name, e), flush=True)
        return False
    except Exception:  # noqa: BLE001 - any SDK exception is a failed check, with its traceback
        RESULTS["failed"] += 1
        print("FAIL %s: unexpected exception\n%s" % (name, traceback.format_exc()), flush=True)
        return False
    RESULTS["passed"] += 1
    print("ok   %s" % name, flush=True)
    return True


def emulator_admin(base, path):
    with urllib.request.urlopen(base + path, timeout=REQUEST_TIMEOUT_SECS) as r:
        return json.loads(r.read().decode("utf-8"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--access-key-id", required=True)
    parser.add_argument("--access-key-secret", required=True)
    parser.add_argument("--userpool-id", required=True)
    parser.add_argument("--seed", required=True, help="the JSONL seed the emulator was started with")
    args = parser.parse_args()

    with open(args.seed, encoding="utf-8") as f:
        seed = [json.loads(line) for line in f if line.strip()]
    if len(seed) < 2 or "email" not in seed[0]:
        print("error: the seed needs at least two users, the first with an email", file=sys.stderr)
        return 2
    alice, bob = seed[0], seed[1]
    secret_a, recovery_a = "HZ2F6J3AGNAVSOTV", "b471-8ec0-874a-087f-bccb-cd54"
    secret_b = "JBSWY3DPEHPK3PXP"
    secret_a2 = "GEZDGNBVGY3TQOJQ"
    unknown_id = "000000000000000000000000"

    client = ManagementClient(
        access_key_id=args.access_key_id,
        access_key_secret=args.access_key_secret,
        host=args.url,
    )

    def sdk_version():
        expect(authing.__version__, EXPECTED_SDK_VERSION, "installed authing version")

    def import_two_users():
        # recoveryCode is optional: the second item omits it, as every SDK does when absent.
        response = client.import_otp(
            list=[
                {"userId": alice["userId"], "otp": {"secret": secret_a, "recoveryCode": recovery_a}},
                {"userId": bob["userId"], "otp": {"secret": secret_b}},
            ]
        )
        expect_ok(response, "import_otp")
        if not response.get("requestId"):
            raise Mismatch("import_otp: no requestId in %r" % response)

    def token_was_implicit():
        # The SDK fetched a token by itself, before the first management call, and nothing else.
        expect([r["path"] for r in SENT[:2]], [TOKEN_PATH, "/api/v3/import-otp"], "first requests")
        token_request = SENT[0]
        expect(token_request["method"], "POST", "token request method")
        expect(
            token_request["json"],
            {"accessKeyId": args.access_key_id, "accessKeySecret": args.access_key_secret},
            "token request body",
        )
        expect(token_request["headers"], {}, "token request headers")
        provider = client.http_client.token_provider
        # The SDK reads the pool id from the JWT's scoped_userpool_id claim (standard base64).
        expect(provider._userpool_id, args.userpool_id, "user pool id decoded from the token")

    def management_headers():
        request = sent_to("/api/v3/import-otp")[0]
        headers = request["headers"]
        token = client.http_client.token_provider._access_token
        expect(headers.get("authorization"), "Bearer %s" % token, "authorization header")
        expect(headers.get("x-authing-userpool-id"), args.userpool_id, "x-authing-userpool-id header")
        expect(headers.get("x-authing-sdk-version"), "authing-py-sdk:%s" % EXPECTED_SDK_VERSION,
               "x-authing-sdk-version header")
        # lang=None is sent as an empty header, which the server must tolerate.
        expect(headers.get("x-authing-lang"), "", "x-authing-lang header")
        expect(request["method"], "POST", "import_otp method")
        expect(request["params"], {}, "import_otp query")

    def round_trip_by_user_id():
        response = expect_ok(
            client.get_otp_secret_by_user(user_id=alice["userId"], user_id_type="user_id"),
            "get_otp_secret_by_user",
        )
        expect((response.get("data") or {}).get("secret"), secret_a, "secret read back")
        request = sent_to("/api/v3/get-otp-secret-by-user")[-1]
        expect(request["method"], "GET", "get_otp_secret_by_user method")
        expect(request["params"], {"userId": alice["userId"], "userIdType": "user_id"},
               "get_otp_secret_by_user query")
        expect(request["json"], None, "get_otp_secret_by_user body")

    def round_trip_default_id_type():
        # user_id_type=None: requests drops the parameter, the server defaults to user_id.
        response = expect_ok(client.get_otp_secret_by_user(user_id=bob["userId"]),
                             "get_otp_secret_by_user without userIdType")
        expect((response.get("data") or {}).get("secret"), secret_b, "secret read back")

    def mfa_enabled():
        response = expect_ok(client.get_user_mfa_info(user_id=alice["userId"]), "get_user_mfa_info")
        expect((response.get("data") or {}).get("totpStatus"), "enabled", "totpStatus")

    def get_user_by_email_with_flags():
        # Boolean query flags go through requests as Python's str(True): "True".
        response = expect_ok(
            client.get_user(user_id=alice["email"], user_id_type="email", with_custom_data=True),
            "get_user by email",
        )
        expect((response.get("data") or {}).get("userId"), alice["userId"], "get_user data.userId")
        expect(sent_to("/api/v3/get-user")[-1]["params"].get("withCustomData"), True,
               "withCustomData as given to requests")

    def reimport_replaces():
        expect_ok(client.import_otp(list=[{"userId": alice["userId"], "otp": {"secret": secret_a2}}]),
                  "re-import")
        response = expect_ok(client.get_otp_secret_by_user(user_id=alice["userId"], user_id_type="user_id"),
                             "get_otp_secret_by_user after re-import")
        expect(response["data"].get("secret"), secret_a2, "secret after re-import")

    def import_unknown_user():
        # A business error: HTTP 200 with statusCode 404 in the body. The SDK does not raise,
        # it hands back the envelope.
        response = client.import_otp(
            list=[
                {"userId": bob["userId"], "otp": {"secret": secret_a}},
                {"userId": unknown_id, "otp": {"secret": secret_a}},
            ]
        )
        if not isinstance(response, dict):
            raise Mismatch("import_otp with an unknown user: got %r" % response)
        expect(response.get("statusCode"), 404, "statusCode")
        expect(response.get("apiCode"), USER_NOT_FOUND, "apiCode")
        # The emulator's documented assumption: the import is atomic, bob keeps his secret.
        after = expect_ok(client.get_otp_secret_by_user(user_id=bob["userId"]), "read back bob")
        expect(after["data"].get("secret"), secret_b, "bob's secret after the failed import")

    def get_unknown_user():
        response = client.get_user(user_id=unknown_id)
        if not isinstance(response, dict):
            raise Mismatch("get_user of an unknown id: got %r" % response)
        expect(response.get("statusCode"), 404, "statusCode")
        expect(response.get("apiCode"), USER_NOT_FOUND, "apiCode")

    def token_reused():
        expect(len(sent_to(TOKEN_PATH)), 1, "get-management-token requests sent by the SDK")
        stats = emulator_admin(args.url, "/_emulator/stats")
        expect(stats.get("byOperation", {}).get(TOKEN_OPERATION), {"200": 1},
               "emulator's count of token requests")
        unmatched = stats.get("unmatched")
        expect(unmatched, 0, "requests the emulator could not route")

    def wrong_credentials_raise():
        bad = ManagementClient(access_key_id=args.access_key_id, access_key_secret="not-the-secret",
                               host=args.url)
        try:
            bad.get_user(user_id=alice["userId"])
        except AuthingException as e:
            expect(e.statusCode, 401, "AuthingException.statusCode")
            return
        raise Mismatch("expected AuthingException from the token call with a wrong secret")

    def emulator_state():
        users = {u["userId"]: u for u in emulator_admin(args.url, "/_emulator/export")}
        otp = users[alice["userId"]].get("otp") or {}
        expect(otp.get("secret"), secret_a2, "exported secret of alice")
        expect(otp.get("recoveryCode"), None, "exported recovery code of alice after re-import")

    # Users, roles and groups through their lives.
    carol = {}

    def user_created_and_updated():
        created = expect_ok(client.create_user(username="carol", email="carol@example.com"),
                            "create_user")
        carol["id"] = (created.get("data") or {}).get("userId")
        if not carol["id"]:
            raise Mismatch("create_user: no data.userId in %r" % created)
        # The SDK's request dicts list every property; unset ones are left out of the JSON.
        expect(sorted(sent_to("/api/v3/create-user")[-1]["json"]), ["email", "username"],
               "create_user body keys")
        expect_ok(client.update_user(user_id=carol["id"], nickname="Carol"), "update_user")
        user = expect_ok(client.get_user(user_id=carol["id"]), "get_user after update_user")
        expect(user["data"].get("nickname"), "Carol", "nickname after update_user")

    def role_assigned_and_revoked():
        expect_ok(client.create_role(code="py-reader", description="interop"), "create_role")
        target = [{"targetType": "USER", "targetIdentifier": carol["id"]}]
        expect_ok(client.assign_role(targets=target, code="py-reader"), "assign_role")
        roles = expect_ok(client.get_user_roles(user_id=carol["id"]), "get_user_roles")
        expect([r.get("code") for r in roles["data"].get("list") or []], ["py-reader"],
               "carol's roles after assign_role")
        expect_ok(client.revoke_role(targets=target, code="py-reader"), "revoke_role")
        roles = expect_ok(client.get_user_roles(user_id=carol["id"]), "get_user_roles after revoke")
        expect(roles["data"].get("list") or [], [], "carol's roles after revoke_role")

    def group_holds_members():
        expect_ok(client.create_group(type="static", description="interop", name="Py",
                                      code="py-group"), "create_group")
        expect_ok(client.add_group_members(user_ids=[carol["id"]], code="py-group"),
                  "add_group_members")
        members = expect_ok(client.list_group_members(code="py-group"), "list_group_members")
        expect([u.get("userId") for u in members["data"].get("list") or []], [carol["id"]],
               "py-group's members")

    def user_deleted():
        expect_ok(client.delete_users_batch(user_ids=[carol["id"]]), "delete_users_batch")
        response = client.get_user(user_id=carol["id"])
        expect(response.get("statusCode"), 404, "get_user of a deleted user")

    steps = [
        ("SDK is authing %s" % EXPECTED_SDK_VERSION, sdk_version),
        ("import_otp of two users -> statusCode 200", import_two_users),
        ("token fetched implicitly, pool id read from the JWT", token_was_implicit),
        ("management call headers (Bearer, pool id, sdk version)", management_headers),
        ("get_otp_secret_by_user(user_id_type=user_id) round trip", round_trip_by_user_id),
        ("get_otp_secret_by_user without user_id_type", round_trip_default_id_type),
        ("get_user_mfa_info -> totpStatus enabled", mfa_enabled),
        ("get_user by email with a boolean flag", get_user_by_email_with_flags),
        ("re-import replaces the secret", reimport_replaces),
        ("import_otp with an unknown user -> statusCode 404 / apiCode 2004", import_unknown_user),
        ("get_user of an unknown id -> statusCode 404 / apiCode 2004", get_unknown_user),
        ("one token for the whole session", token_reused),
        ("wrong secret -> AuthingException(statusCode=401)", wrong_credentials_raise),
        ("emulator export matches", emulator_state),
        ("create_user, update_user, get_user", user_created_and_updated),
        ("create_role, assign_role, get_user_roles, revoke_role", role_assigned_and_revoked),
        ("create_group, add_group_members, list_group_members", group_holds_members),
        ("delete_users_batch -> get_user 404", user_deleted),
    ]
    for name, fn in steps:
        check(name, fn)

    if RESULTS["failed"]:
        print("--- requests the SDK sent ---", file=sys.stderr)
        for r in SENT:
            shown = dict(r)
            shown["headers"] = {k: ("<redacted>" if k == "authorization" else v)
                                for k, v in r["headers"].items()}
            if r["path"] == TOKEN_PATH:
                shown["json"] = "<redacted>"
            print(json.dumps(shown, ensure_ascii=False, default=str), file=sys.stderr)
    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]), flush=True)
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
