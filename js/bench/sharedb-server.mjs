#!/usr/bin/env node
// The reference side of scripts/bench-sync: ShareDB 7.0.0 with its default
// in-memory database and pub/sub, served over `ws` the way ShareDB's own
// examples do it, so that tertulia-loadgen runs unchanged against it.
//
//   node js/bench/sharedb-server.mjs [--port 0] [--host 127.0.0.1]
//
// - WebSocket on /ws (any query string, e.g. ?token=…, is accepted and
//   ignored); each socket becomes one ShareDB agent via backend.listen().
// - POST /api/rooms/:room/join answers {"token":"x"}, a stand-in for
//   Tertulia's join endpoint so the loadgen's join flow works unchanged.
// - Prints `listening on PORT` on stdout once bound (port 0 picks a free
//   port); stops on SIGTERM/SIGINT.

import http from 'node:http';
import { Duplex } from 'node:stream';
import { parseArgs } from 'node:util';
import ShareDB from 'sharedb';
import { WebSocket, WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad --port ${values.port}`);

// Largest request body and WebSocket message accepted, as a server in
// production would bound them.
const MAX_BODY = 64 * 1024;
const MAX_MESSAGE = 1024 * 1024;

// The adapter ShareDB's examples get from @teamwork/websocket-json-stream,
// which is not installed: an object-mode Duplex where each readable chunk is
// one parsed JSON message and each written object is sent as one text
// message. Like that package, a write completes only when `ws` has handed
// the frame to the socket, and ending the stream closes the WebSocket.
class WebSocketJSONStream extends Duplex {
  constructor(ws) {
    super({ objectMode: true, allowHalfOpen: false });
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      let value;
      try {
        value = JSON.parse(isBinary ? data.toString('utf8') : data.toString());
      } catch (error) {
        this.destroy(error);
        return;
      }
      if (value == null) {
        this.destroy(new Error('message is not a JSON value'));
        return;
      }
      this.push(value);
    });
    ws.on('close', () => this.destroy());
  }

  _read() {}

  _write(object, _encoding, callback) {
    let json;
    try {
      json = JSON.stringify(object);
    } catch (error) {
      callback(error);
      return;
    }
    if (this.ws.readyState !== WebSocket.OPEN) {
      callback(new Error('WebSocket must be OPEN to send'));
      return;
    }
    this.ws.send(json, callback);
  }

  _final(callback) {
    this.#close(1000, 'stream finished');
    callback();
  }

  // ShareDB's agent cleans up on the 'close' that follows destroy().
  _destroy(error, callback) {
    this.#close(error ? 1011 : 1000, error ? 'stream error' : 'stream destroyed');
    callback(error);
  }

  #close(code, reason) {
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(code, reason);
    }
  }
}

const backend = new ShareDB();

const server = http.createServer((req, res) => {
  const join = /^\/api\/rooms\/([^/?]+)\/join(?:\?.*)?$/.exec(req.url ?? '');
  if (req.method !== 'POST' || !join) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    return;
  }
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) {
      res.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end('{"error":"too large"}');
      req.destroy();
    }
  });
  req.on('end', () => {
    if (res.writableEnded) return;
    const body = '{"token":"x"}';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});

const wss = new WebSocketServer({ server, path: '/ws', maxPayload: MAX_MESSAGE });
wss.on('connection', (ws, req) => {
  const stream = new WebSocketJSONStream(ws);
  // A peer that vanishes mid-write makes the stream error; without a
  // listener Node would treat that as fatal. The agent cleans up on 'close'.
  stream.on('error', () => {});
  backend.listen(stream, req);
});

// The default backlog (511) drops SYNs when thousands of clients connect at
// once; the kernel caps this at net.core.somaxconn.
server.listen({ port, host: values.host, backlog: 4096 }, () => {
  console.log(`listening on ${server.address().port}`);
});

function stop() {
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  server.close(() => backend.close(() => process.exit(0)));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
