#!/usr/bin/env python3
"""Latency of Claimgate's OAuth callback against the time of the Prisma calls it makes.

For each iteration: (A) a full claim up to the callback, then the callback timed end to end;
(B) the same three upstream calls made directly against the emulator (token exchange, GET /v1/me,
transfer), timed. Added latency = A − B, compared per percentile.
Usage: claim_callback.py CLAIMGATE_URL EMULATOR_URL API_KEY ITERATIONS
"""
import base64
import hashlib
import http.cookiejar
import json
import os
import statistics
import sys
import time
import urllib.parse
import urllib.request

base, emulator, key, iterations = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ACCOUNT = "cmsandboxada00000000000001/cmsandboxadaws000000000001"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def opener(jar=None):
    handlers = [NoRedirect()]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    return urllib.request.build_opener(*handlers)


def call(op, method, url, data=None, headers=None):
    request = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    try:
        with op.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def consent(op, authorize_url):
    query = urllib.parse.urlsplit(authorize_url).query
    status, headers, _ = call(op, "POST", emulator + "/authorize",
                              (query + "&account=" + urllib.parse.quote(ACCOUNT) + "&decision=approve").encode(),
                              {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 302, status
    return headers["Location"]


def provision(op):
    status, _, body = call(op, "POST", base + "/v1/databases", b"{}",
                           {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    assert status == 201, (status, body)
    return json.loads(body)


full, upstream = [], []
for _ in range(iterations):
    jar = http.cookiejar.CookieJar()
    browser = opener(jar)
    database = provision(browser)
    status, headers, _ = call(browser, "POST", database["claimUrl"])
    assert status == 303, status
    callback = consent(browser, headers["Location"])
    started = time.perf_counter()
    status, _, body = call(browser, "GET", callback)
    full.append((time.perf_counter() - started) * 1000)
    assert status == 200 and b"Your database is yours" in body, (status, body[:200])

    # (B) the same upstream work, directly.
    project = provision(opener())["projectId"]
    verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = base + "/oauth/callback"
    authorize = emulator + "/authorize?" + urllib.parse.urlencode({
        "client_id": "sandbox-client", "redirect_uri": redirect, "response_type": "code", "scope": "workspace:admin offline_access",
        "state": "bench-state", "code_challenge": challenge, "code_challenge_method": "S256"})
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(consent(opener(), authorize)).query)["code"][0]
    direct = opener()
    started = time.perf_counter()
    status, _, body = call(direct, "POST", emulator + "/token", urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect, "code_verifier": verifier,
        "client_id": "sandbox-client", "client_secret": "sandbox-client-secret"}).encode(),
        {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, body
    access = json.loads(body)["access_token"]
    status, _, _ = call(direct, "GET", emulator + "/v1/me", headers={"Authorization": "Bearer " + access})
    assert status == 200
    status, _, body = call(direct, "POST", emulator + f"/v1/projects/{project}/transfer",
                           json.dumps({"recipientAccessToken": access}).encode(),
                           {"Authorization": "Bearer sandbox-service-token", "Content-Type": "application/json"})
    assert status == 204, (status, body)
    upstream.append((time.perf_counter() - started) * 1000)


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


for label, values in (("callback through Claimgate", full), ("the same Prisma calls direct", upstream)):
    print(f"{label:30} p50 {pct(values, .5):6.2f} ms  p99 {pct(values, .99):6.2f} ms  (n={len(values)})")
print(f"added by Claimgate: p50 {pct(full, .5) - pct(upstream, .5):.2f} ms, p99 {pct(full, .99) - pct(upstream, .99):.2f} ms")
