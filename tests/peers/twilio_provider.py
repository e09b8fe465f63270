#!/usr/bin/python3
"""A Twilio-compatible provider written against independent code: Python's standard
library for the webhooks and TwiML, and the `websockets` library (Debian package
python3-websockets) for the media stream. It plays one keypad caller against a running
hotline and prints what happened as JSON, so a test can check our server against a peer
that shares none of its code.

Usage: twilio_provider.py BASE_URL AUTH_TOKEN FROM KEYS
"""

import asyncio
import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import websockets


def sign(token, url, params):
    # Twilio: HMAC-SHA1 over the URL followed by every parameter name and value, sorted by name.
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def post(url, params, token):
    body = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(url, data=body, headers={"X-Twilio-Signature": sign(token, url, params)})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


async def stream(url, parameters, call_sid, token, keys):
    stream_sid = "MZ" + uuid.uuid4().hex
    heard = {"media": 0, "marks": [], "clears": 0, "keys_sent": 0}
    last_media = time.monotonic()
    pending = list(keys)
    async with websockets.connect(url, extra_headers={"X-Twilio-Signature": sign(token, url, {})}) as ws:
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        await ws.send(json.dumps({"event": "start", "sequenceNumber": "1", "streamSid": stream_sid, "start": {
            "streamSid": stream_sid, "callSid": call_sid, "accountSid": "AC" + "0" * 32, "tracks": ["inbound"],
            "customParameters": parameters,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}}))

        async def talk():
            # Silence every 20 ms like a real line; a key once the hotline has been quiet for 1 s.
            silence = base64.b64encode(b"\xff" * 160).decode()
            chunk = 0
            while True:
                await asyncio.sleep(0.02)
                chunk += 1
                await ws.send(json.dumps({"event": "media", "streamSid": stream_sid,
                                          "media": {"track": "inbound", "chunk": str(chunk), "payload": silence}}))
                if pending and time.monotonic() - last_media > 1.0:
                    await ws.send(json.dumps({"event": "dtmf", "streamSid": stream_sid,
                                              "dtmf": {"track": "inbound_track", "digit": pending.pop(0)}}))
                    heard["keys_sent"] += 1

        talker = asyncio.ensure_future(talk())
        try:
            async for message in ws:
                event = json.loads(message)
                if event["event"] == "media":
                    if len(base64.b64decode(event["media"]["payload"])) != 160:
                        raise SystemExit("media frame is not 20 ms of 8 kHz mu-law")
                    heard["media"] += 1
                    last_media = time.monotonic()
                elif event["event"] == "mark":
                    heard["marks"].append(event["mark"]["name"])
                    await ws.send(json.dumps({"event": "mark", "streamSid": stream_sid, "mark": event["mark"]}))
                elif event["event"] == "clear":
                    heard["clears"] += 1
        except websockets.ConnectionClosed:
            pass
        finally:
            talker.cancel()
        heard["close_code"] = ws.close_code
    return heard


def main():
    base, token, caller, keys = sys.argv[1:5]
    call_sid = "CA" + uuid.uuid4().hex
    common = {"CallSid": call_sid, "AccountSid": "AC" + "0" * 32, "From": caller, "To": "+4923155500000",
              "Direction": "inbound", "ApiVersion": "2010-04-01"}
    twiml = ET.fromstring(post(base + "/twilio/voice", dict(common, CallStatus="ringing"), token))
    connect = twiml.find("./Connect")
    stream_el = connect.find("./Stream")
    parameters = {p.get("name"): p.get("value") for p in stream_el.findall("./Parameter")}
    heard = asyncio.run(asyncio.wait_for(stream(stream_el.get("url"), parameters, call_sid, token, keys), 180))
    after = ET.fromstring(post(connect.get("action"), dict(common, CallStatus="in-progress"), token))
    heard["after_stream"] = [child.tag for child in after]
    heard["call_sid"] = call_sid
    print(json.dumps(heard))


if __name__ == "__main__":
    main()
