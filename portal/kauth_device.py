"""The reference kAuth device: a command-line stand-in for the phone app, talking HTTP to the
portal exactly as the app would. Used by the end-to-end tests and by people trying the demo.

    portal kauth enroll <link> --state FILE     register with the link of the QR code
    portal kauth pending --state FILE           list pending sign-in requests
    portal kauth approve <number> --state FILE  approve the pending request, typing <number>
    portal kauth deny --state FILE              deny the pending request ("this wasn't me")
    portal kauth code --state FILE              print the current temporary code

The state file holds the device's credential and seed (keep it like a phone: private).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import struct
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENROLL_MARKER = "/security/kauth/enroll/"


class DeviceError(Exception):
    pass


def totp_code(seed_b32: str, at: float | None = None) -> str:
    """RFC 6238 (HMAC-SHA1, 30 s, 6 digits), written out here as the phone app has its own."""
    key = base64.b32decode(seed_b32)
    counter = int((time.time() if at is None else at) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def _request(
    url: str, *, method: str = "GET", body: dict[str, Any] | None = None, credential: str = ""
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json", "User-Agent": "kAuth-reference/1.0"}
    if credential:
        headers["Authorization"] = f"KAuth {credential}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            payload = json.loads(exc.read() or b"{}")
        except ValueError:
            payload = {"error": f"http_{exc.code}"}
        return exc.code, payload


def _load(state: Path) -> dict[str, Any]:
    if not state.exists():
        raise DeviceError(f"No device state in {state}: run `portal kauth enroll` first.")
    data: dict[str, Any] = json.loads(state.read_text())
    return data


def _save(state: Path, data: dict[str, Any]) -> None:
    state.parent.mkdir(parents=True, exist_ok=True)
    state.touch(mode=0o600)
    state.write_text(json.dumps(data, indent=2))


def enroll(link: str, state: Path) -> str:
    parts = urlsplit(link)
    if ENROLL_MARKER not in parts.path:
        raise DeviceError("This is not a kAuth enrolment link.")
    code = parts.path.split(ENROLL_MARKER, 1)[1].strip("/")
    base = f"{parts.scheme}://{parts.netloc}"
    status, payload = _request(
        f"{base}/security/kauth/api/enroll", method="POST", body={"code": code}
    )
    if status != 201:
        raise DeviceError(f"Enrolment refused: {payload.get('error', status)}")
    _save(
        state,
        {
            "base_url": base,
            "credential": payload["credential"],
            "seed": payload["seed"],
            "account": payload["account"],
        },
    )
    return f"Enrolled {payload['account']}. Temporary code: {totp_code(payload['seed'])}"


def pending(state: Path) -> list[dict[str, Any]]:
    data = _load(state)
    status, payload = _request(
        f"{data['base_url']}/security/kauth/api/challenges", credential=data["credential"]
    )
    if status == 410:
        raise DeviceError(payload.get("message", "This account was removed."))
    if status != 200:
        raise DeviceError(f"Refused: {payload.get('error', status)}")
    challenges: list[dict[str, Any]] = payload["challenges"]
    return challenges


def answer(state: Path, *, approve: bool, number: int | None = None) -> str:
    data = _load(state)
    waiting = pending(state)
    if not waiting:
        raise DeviceError("No pending sign-in request.")
    challenge = waiting[-1]
    verb = "approve" if approve else "deny"
    status, payload = _request(
        f"{data['base_url']}/security/kauth/api/challenges/{challenge['id']}/{verb}",
        method="POST",
        body={"number": number} if approve else {},
        credential=data["credential"],
    )
    if status != 200:
        raise DeviceError(f"Refused: {payload.get('error', status)}")
    return str(payload["status"])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="portal kauth", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["enroll", "pending", "approve", "deny", "code"])
    parser.add_argument("value", nargs="?", help="the link (enroll) or the number (approve)")
    parser.add_argument(
        "--state", type=Path, default=Path(os.environ.get("KAUTH_STATE", "kauth-device.json"))
    )
    args = parser.parse_args(argv)
    try:
        if args.action == "enroll":
            if not args.value:
                parser.error("enroll needs the link shown under the QR code")
            print(enroll(args.value, args.state))
        elif args.action == "pending":
            for c in pending(args.state):
                print(f"{c['id']}  from {c['ip']}  {c['browser']}  at {c['time']}")
        elif args.action == "approve":
            if not (args.value or "").isdigit():
                parser.error("approve needs the number shown in the browser, typed")
            print(answer(args.state, approve=True, number=int(args.value)))
        elif args.action == "deny":
            print(answer(args.state, approve=False))
        else:
            print(totp_code(_load(args.state)["seed"]))
    except DeviceError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0
