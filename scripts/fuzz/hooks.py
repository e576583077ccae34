"""Schemathesis hooks for scripts/fuzz.sh: aim part of the generated requests at what exists.

Random ids reach little beyond `404`: so before a request is sent, about half of the cases get
a real event id (with a ticket type and seats of that event), a reservation id the server
returned earlier, and, on shopping and queue-status calls, a valid admission token for the
event, so holds, payments and cancellations really happen while the fuzzer runs. The other
cases go out as generated. Everything sent is still validated by schemathesis' checks.

Environment (set by scripts/fuzz.sh): BOXOFFICE_FUZZ_BASE (the server's URL),
BOXOFFICE_FUZZ_TOKEN (the bearer token the run uses), BOXOFFICE_FUZZ_SEED.
"""

import os
import random
import threading

import requests
import schemathesis

BASE = os.environ["BOXOFFICE_FUZZ_BASE"]
AUTH = {"authorization": "Bearer " + os.environ["BOXOFFICE_FUZZ_TOKEN"]}
RNG = random.Random(int(os.environ.get("BOXOFFICE_FUZZ_SEED", "0")))
LOCK = threading.Lock()

SHOPPING = {("POST", "/api/seats/reserve"), ("POST", "/api/reservations")}
QUEUE_STATUS = "/api/queue/status/{event_id}"


def load_events():
    events = []
    for e in requests.get(f"{BASE}/api/events", timeout=10).json():
        seats = []
        if e.get("hasSeatMap"):
            seats = [s["id"] for s in requests.get(f"{BASE}/api/events/{e['id']}/seats", timeout=10).json()["seats"]]
        events.append({"id": e["id"], "ticketTypes": [t["id"] for t in e["ticketTypes"]], "seats": seats})
    return events


EVENTS = load_events()
admissions = {}  # event id -> admission token (None: not admitted)
reservations = []  # reservation ids seen in answers


def admission(event_id):
    with LOCK:
        if event_id in admissions:
            return admissions[event_id]
    token = None
    try:
        r = requests.post(f"{BASE}/api/queue/join", json={"eventId": event_id}, headers=AUTH, timeout=10)
        if r.ok:
            token = r.json().get("admissionToken")
    except requests.RequestException:
        pass
    with LOCK:
        admissions[event_id] = token
    return token


@schemathesis.hook
def before_call(context, case, kwargs):
    if not EVENTS or RNG.random() < 0.5:
        return
    event = RNG.choice(EVENTS)
    params = case.path_parameters
    if params is not None:
        if "event_id" in params:
            params["event_id"] = event["id"]
        if "id" in params and reservations:
            with LOCK:
                params["id"] = RNG.choice(reservations)
    body = case.body
    if isinstance(body, dict):
        if "eventId" in body:
            body["eventId"] = event["id"]
        if "ticketTypeId" in body and event["ticketTypes"]:
            body["ticketTypeId"] = RNG.choice(event["ticketTypes"])
        if isinstance(body.get("seatIds"), list) and event["seats"]:
            n = min(max(len(body["seatIds"]), 1), 4, len(event["seats"]))
            body["seatIds"] = RNG.sample(event["seats"], n)
        if "quantity" in body and RNG.random() < 0.5:
            body["quantity"] = RNG.randint(1, 3)
    key = (case.method.upper(), case.operation.path)
    if key in SHOPPING or case.operation.path == QUEUE_STATUS:
        token = admission(event["id"])
        if token:
            if case.headers is None:
                case.headers = {}
            case.headers["X-Admission-Token"] = token


@schemathesis.hook
def after_call(context, case, response):
    try:
        data = response.json()
    except Exception:
        return
    found = []
    if isinstance(data, dict) and isinstance(data.get("reservation"), dict):
        found.append(data["reservation"].get("id"))
    elif isinstance(data, list):
        found.extend(r.get("id") for r in data if isinstance(r, dict) and "items" in r)
    code = data.get("error", {}).get("code") if isinstance(data, dict) else None
    with LOCK:
        reservations.extend(i for i in found if isinstance(i, str))
        del reservations[:-200]
        if code == "not_admitted":
            # The turn ended (a payment ends it): join again on the next aimed call.
            admissions.clear()
