"""A Flask-SocketIO process without a web app (``SocketIO(message_queue=...)``), as a Flask
worker or a background job uses it to reach the clients of the servers behind the queue.

Reads a JSON list of operations on stdin and runs them in order, then prints ``done``:

- ``{"op": "emit", "event": e, "args": [...], "to": room | [rooms] | null,
  "skip_sid": sid | [sids] | null, "namespace": "/"}``: ``socketio.emit``; ``args`` of one
  element is one argument, of several a tuple, empty none. ``{"$bytes": [0, 1]}`` anywhere
  in ``args`` stands for ``bytes``.
- ``{"op": "close_room", "room": r, "namespace": "/"}``: ``socketio.close_room``.
- ``{"op": "enter_room" | "leave_room", "sid": s, "room": r, "namespace": "/"}`` and
  ``{"op": "disconnect", "sid": s, "namespace": "/"}``: the python-socketio server's methods.

Usage: ``python flask_emitter.py REDIS_URL CHANNEL < operations.json``
"""

import json
import sys

from flask_socketio import SocketIO


def with_bytes(value):
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return bytes(value["$bytes"])
        return {key: with_bytes(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_bytes(item) for item in value]
    return value


def main():
    url, channel = sys.argv[1], sys.argv[2]
    socketio = SocketIO(message_queue=url, channel=channel)
    for op in json.load(sys.stdin):
        namespace = op.get("namespace", "/")
        kind = op["op"]
        if kind == "emit":
            args = [with_bytes(arg) for arg in op.get("args", [])]
            data = [] if not args else [args[0]] if len(args) == 1 else [tuple(args)]
            socketio.emit(op["event"], *data, to=op.get("to"), skip_sid=op.get("skip_sid"),
                          namespace=namespace)
        elif kind == "close_room":
            socketio.close_room(op["room"], namespace=namespace)
        elif kind == "enter_room":
            socketio.server.enter_room(op["sid"], op["room"], namespace=namespace)
        elif kind == "leave_room":
            socketio.server.leave_room(op["sid"], op["room"], namespace=namespace)
        elif kind == "disconnect":
            socketio.server.disconnect(op["sid"], namespace=namespace)
        else:
            raise ValueError(f"unknown operation {kind!r}")
    print("done", flush=True)


if __name__ == "__main__":
    main()
