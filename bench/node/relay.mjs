// The baseline scripts/bench.sh measures Baton against: a minimal chat relay on Node.js and
// `ws`, everything in memory (nothing is stored, no bot, no handover machinery). It speaks the
// subset of Baton's widget protocol (docs/protocol.md) the benchmark uses, with the same JSON:
//   visitor  GET /ws:        hello -> welcome + greeting event; send -> ack, the visitor's
//                            event, and an echo answer as a bot event; ping -> pong
//   agent    GET /agent/ws:  auth -> ready; send {conversation_id, text} -> the agent's event
//                            to the conversation's sockets, ok to the agent
//   webhook  POST /webhooks/intercom/{site}: X-Hub-Signature (HMAC-SHA1 of the body) checked,
//                            the JSON parsed, 200
// Prints "listening on http://127.0.0.1:PORT/" once it listens (PORT=0: any free port).
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

const WEBHOOK_SECRET = process.env.WEBHOOK_SECRET ?? "bench-webhook-secret";
const conversations = new Map(); // id -> { seq, events, sockets: Set }

function append(conversation, body) {
  const event = { type: "event", seq: ++conversation.seq, at: Date.now(), ...body };
  conversation.events.push(event);
  const text = JSON.stringify(event);
  for (const socket of conversation.sockets) socket.send(text);
  return event.seq;
}

const bot = (text) => ({ kind: "message", author: { role: "bot", name: "Baton" }, text });

function visitor(socket) {
  let conversation = null;
  socket.on("message", (data) => {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return socket.send(JSON.stringify({ type: "error", code: "bad_frame", message: "not JSON" }));
    }
    if (frame.type === "hello") {
      const id = randomUUID();
      conversation = { seq: 0, events: [], sockets: new Set([socket]) };
      conversations.set(id, conversation);
      socket.send(JSON.stringify({
        type: "welcome", v: 1, conversation_id: id, resume_token: randomBytes(32).toString("base64url"),
        last_seq: 0, bot_name: "Baton", new_conversation: true, handover_button: "Talk to a person",
      }));
      append(conversation, bot("Hi! Ask me anything."));
    } else if (frame.type === "send" && conversation) {
      const seq = conversation.seq + 1;
      socket.send(JSON.stringify({ type: "ack", client_id: frame.client_id, seq }));
      append(conversation, {
        kind: "message", author: { role: "visitor" }, text: frame.text, client_id: frame.client_id,
      });
      append(conversation, bot(`You said: ${frame.text}`));
    } else if (frame.type === "ping") {
      socket.send('{"type":"pong"}');
    }
  });
  socket.on("close", () => conversation?.sockets.delete(socket));
}

function agent(socket) {
  socket.on("message", (data) => {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (frame.type === "auth") {
      socket.send(JSON.stringify({ type: "ready", agent: { id: "bench", name: "Alex" }, conversations: [] }));
    } else if (frame.type === "send") {
      const conversation = conversations.get(frame.conversation_id);
      if (!conversation) return;
      const seq = append(conversation, { kind: "message", author: { role: "agent", name: "Alex" }, text: frame.text });
      socket.send(JSON.stringify({ type: "ok", action: "send", conversation_id: frame.conversation_id, seq }));
    }
  });
}

function webhook(request, response) {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks);
    const expected = Buffer.from(`sha1=${createHmac("sha1", WEBHOOK_SECRET).update(body).digest("hex")}`);
    const given = Buffer.from(String(request.headers["x-hub-signature"] ?? ""));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      response.writeHead(401).end();
      return;
    }
    try {
      JSON.parse(body);
    } catch {
      response.writeHead(400).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end('{"received":1}');
  });
}

const server = createServer((request, response) => {
  if (request.method === "POST" && request.url.startsWith("/webhooks/intercom/")) return webhook(request, response);
  response.writeHead(request.url === "/healthz" ? 200 : 404).end();
});
const visitors = new WebSocketServer({ noServer: true });
const agents = new WebSocketServer({ noServer: true });
server.on("upgrade", (request, socket, head) => {
  const wss = request.url === "/ws" ? visitors : request.url === "/agent/ws" ? agents : null;
  if (!wss) return socket.destroy();
  wss.handleUpgrade(request, socket, head, (ws) => (wss === visitors ? visitor(ws) : agent(ws)));
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}/`);
});
