// Baton's built-in agent inbox: a plain script over the agent socket (/agent/ws).
// Protocol: docs/agent-api.md. No framework, no inline code: it runs under a strict CSP.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var TOKEN_KEY = "baton:agent-token";
  var state = { me: null, conversations: {}, followUps: [], selected: null, transcripts: {}, lastSeq: {}, socket: null, attempt: 0 };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }
  function ago(ms) {
    if (!ms) return "";
    var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    return s < 60 ? s + " s" : s < 3600 ? Math.round(s / 60) + " min" : Math.round(s / 3600) + " h";
  }
  function who(c) { return (c.visitor && (c.visitor.name || c.visitor.email)) || "Visitor " + c.id.slice(0, 6); }
  function reason(r) { return r ? r.replace(/_/g, " ") : ""; }

  // ---- connection ----
  // Without a saved token the socket signs in with the dashboard session (an empty token): an
  // account signed in at /admin/ needs no token. Refused, the token form shows.
  function connect() {
    var token = sessionStorage.getItem(TOKEN_KEY) || "";
    setStatus("connecting", "Connecting…");
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/agent/ws";
    var ws = new WebSocket(url);
    state.socket = ws;
    ws.onopen = function () { ws.send(JSON.stringify({ type: "auth", token: token })); };
    ws.onmessage = function (e) { var f; try { f = JSON.parse(e.data); } catch (_) { return; } onFrame(f); };
    ws.onclose = function (e) {
      state.socket = null;
      if (e.code === 4003) {
        sessionStorage.removeItem(TOKEN_KEY);
        if (e.reason === "revoked") return showSignin("Your access to this inbox was revoked.");
        return showSignin(token ? "That token is not valid." : "");
      }
      setStatus("offline", "Offline, reconnecting…");
      var delay = Math.min(30000, 500 * Math.pow(2, state.attempt++)) * Math.random() + 250;
      setTimeout(connect, delay);
    };
  }
  function send(frame) {
    if (state.socket && state.socket.readyState === 1) { state.socket.send(JSON.stringify(frame)); return true; }
    showError("Not connected; try again in a moment.");
    return false;
  }
  function setStatus(s, text) { var n = $("status"); n.dataset.state = s; n.textContent = text; }

  function onFrame(f) {
    switch (f.type) {
      case "ready":
        state.attempt = 0;
        state.me = f.agent;
        state.conversations = {};
        f.conversations.forEach(function (c) { state.conversations[c.id] = c; });
        state.followUps = f.follow_ups;
        $("signin-page").hidden = true; $("app").hidden = false;
        $("me").textContent = f.agent.name;
        setStatus("online", "Online");
        renderLists();
        if (state.selected) watch(state.selected);
        break;
      case "conversations":
        state.conversations = {};
        f.conversations.forEach(function (c) { state.conversations[c.id] = c; });
        renderLists(); renderDetail();
        break;
      case "conversation":
        state.conversations[f.conversation.id] = f.conversation;
        renderLists();
        if (f.conversation.id === state.selected) renderHeader();
        break;
      case "follow_ups": state.followUps = f.follow_ups; renderFollowUps(); break;
      case "transcript":
        state.transcripts[f.conversation_id] = f.events;
        state.lastSeq[f.conversation_id] = f.events.length ? f.events[f.events.length - 1].seq : 0;
        if (f.conversation_id === state.selected) renderTranscript();
        break;
      case "event":
        var id = f.conversation_id;
        if ((state.lastSeq[id] || 0) >= f.event.seq) break; // already shown
        state.lastSeq[id] = f.event.seq;
        (state.transcripts[id] = state.transcripts[id] || []).push(f.event);
        if (id === state.selected) { appendEvent(f.event); if (f.event.kind === "message" && f.event.author.role === "visitor") $("typing").hidden = true; }
        break;
      case "typing":
        // The visitor's notices repeat while they type and stop when they stop: fade after 4 s.
        if (f.conversation_id === state.selected && f.author.role === "visitor") {
          $("typing").hidden = !f.on; $("typing").textContent = "The visitor is typing…";
          clearTimeout(state.typingFade);
          state.typingFade = setTimeout(function () { $("typing").hidden = true; }, 4000);
        }
        break;
      case "error": showError(f.message || f.code); break;
      case "ok": showError(""); break;
    }
  }

  // ---- rendering ----
  function renderLists() {
    var groups = { waiting: [], agent: [], ended: [] };
    Object.keys(state.conversations).forEach(function (id) {
      var c = state.conversations[id];
      // Handed back to the bot after an agent chat: listed with the ended ones.
      var group = c.phase === "bot" && c.summary ? "ended" : c.phase;
      if (groups[group]) groups[group].push(c);
    });
    groups.waiting.sort(function (a, b) { return (a.waiting_since || 0) - (b.waiting_since || 0); });
    groups.agent.sort(function (a, b) { return b.updated_at - a.updated_at; });
    groups.ended.sort(function (a, b) { return b.updated_at - a.updated_at; });
    $("count-waiting").textContent = groups.waiting.length;
    Object.keys(groups).forEach(function (phase) {
      var list = $("list-" + phase);
      list.textContent = "";
      groups[phase].forEach(function (c) {
        var li = el("li", { "data-id": c.id, "data-testid": "conversation-item", "data-phase": c.phase });
        // A button, so the keyboard reaches and opens it (Tab, then Enter or Space).
        var pick = el("button", { "type": "button", "class": "pick" });
        if (c.id === state.selected) { li.className = "selected"; pick.setAttribute("aria-current", "true"); }
        pick.appendChild(el("span", { "class": "who" }, who(c)));
        var sub = phase === "waiting"
          ? "#" + (c.queue_position || "?") + " · " + reason(c.reason) + (c.topic ? " · " + c.topic : "") + " · waiting " + ago(c.waiting_since)
          : phase === "agent" ? "with " + (c.agent ? c.agent.name : "?")
          : (c.phase === "bot" ? "back with the bot" : "ended") + (c.rating ? " · rated " + c.rating + "/5" : "");
        pick.appendChild(el("span", { "class": "sub" }, sub));
        pick.addEventListener("click", function () { select(c.id); });
        li.appendChild(pick);
        list.appendChild(li);
      });
    });
  }
  function renderFollowUps() {
    var list = $("list-followups");
    list.textContent = "";
    state.followUps.forEach(function (f) {
      var li = el("li", { "data-testid": "follow-up" });
      li.appendChild(el("div", { "class": "who" }, f.email));
      li.appendChild(el("div", { "class": "sub" }, f.summary));
      li.title = f.summary;
      list.appendChild(li);
    });
  }
  function select(id) {
    if (state.selected && state.selected !== id) send({ type: "unwatch", conversation_id: state.selected });
    state.selected = id;
    watch(id);
    renderLists(); renderDetail();
  }
  function watch(id) { send({ type: "watch", conversation_id: id }); }
  function renderDetail() {
    var c = state.conversations[state.selected];
    $("empty").hidden = !!c; $("conversation").hidden = !c;
    if (!c) return;
    renderHeader(); renderTranscript();
  }
  function renderHeader() {
    var c = state.conversations[state.selected];
    if (!c) return;
    $("conv-title").textContent = who(c);
    var meta = [c.phase === "agent" ? "with " + (c.agent ? c.agent.name : "?") : c.phase];
    if (c.reason) meta.push("reason: " + reason(c.reason));
    if (c.topic) meta.push("topic: " + c.topic);
    // Whether the site signed the identity (docs/agent-api.md): an unverified one may be anyone's.
    if (c.visitor && c.visitor.user_id) meta.push("user " + c.visitor.user_id + (c.visitor.user_id_verified ? " (verified)" : " (unverified)"));
    if (c.visitor && c.visitor.email) meta.push(c.visitor.email + (c.visitor.email_verified ? " (verified)" : " (unverified)"));
    if (c.queue_position) meta.push("#" + c.queue_position + " in line");
    $("conv-meta").textContent = meta.join(" · ");
    $("summary").textContent = c.summary ? "Summary: " + c.summary : "";
    var mine = c.phase === "agent" && c.agent && state.me && c.agent.id === state.me.id;
    $("accept").hidden = c.phase !== "waiting";
    $("end").hidden = !mine;
    $("reply").disabled = !mine;
    $("reply-send").disabled = !mine;
    $("attach").disabled = !mine;
  }
  function renderTranscript() {
    var list = $("transcript");
    list.textContent = "";
    (state.transcripts[state.selected] || []).forEach(appendEvent);
  }
  function appendEvent(e) {
    var list = $("transcript"), li;
    if (e.kind === "message") {
      li = el("li", { "data-role": e.author.role, "data-testid": "transcript-message" });
      li.appendChild(el("span", { "class": "by" }, e.author.name || e.author.role));
      li.appendChild(document.createTextNode(e.text));
      (e.attachments || []).forEach(function (a) { li.appendChild(fileLink(a)); });
    } else if (e.kind === "phase") {
      li = el("li", { "class": "phase" }, "— " + (e.phase === "waiting" ? "handover requested (" + reason(e.reason) + ")" : e.phase === "agent" ? (e.agent_name || "agent") + " joined" : e.phase === "ended" ? "chat ended" : "back to the bot") + " —");
    } else if (e.kind === "rating") {
      li = el("li", { "class": "phase" }, "Rated " + e.score + "/5");
    } else return;
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
  }
  // A message's file at its signed address: an image shown (a click opens it whole), any other
  // file a download link with its name and size.
  function fileLink(a) {
    var image = /^image\//.test(a.content_type);
    var link = el("a", { "href": a.url, "class": "file", "data-testid": "transcript-file" });
    if (image) {
      link.setAttribute("target", "_blank"); link.setAttribute("rel", "noopener noreferrer");
      link.appendChild(el("img", { "src": a.url, "alt": a.name }));
    } else {
      link.setAttribute("download", a.name);
      link.textContent = a.name + " (" + size(a.size) + ")";
    }
    return link;
  }
  function size(bytes) {
    return bytes < 1024 ? bytes + " B" : bytes < 1048576 ? Math.ceil(bytes / 1024) + " KB" : (bytes / 1048576).toFixed(1) + " MB";
  }
  function showError(text) { $("action-error").textContent = text; }
  function showSignin(error) { $("app").hidden = true; $("signin-page").hidden = false; $("signin-error").textContent = error; }

  // ---- actions ----
  $("signin").addEventListener("submit", function (e) {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    connect();
  });
  $("signout").addEventListener("click", function () {
    sessionStorage.removeItem(TOKEN_KEY);
    if (state.socket) { state.socket.onclose = null; state.socket.close(); }
    showSignin("");
  });
  $("accept").addEventListener("click", function () { send({ type: "accept", conversation_id: state.selected }); });
  $("end").addEventListener("click", function () { send({ type: "end", conversation_id: state.selected }); });
  var typingTimer = null;
  function stopTyping() {
    if (typingTimer) { clearTimeout(typingTimer); typingTimer = null; send({ type: "typing", conversation_id: state.selected, on: false }); }
  }
  $("reply").addEventListener("input", function () {
    if (!typingTimer) send({ type: "typing", conversation_id: state.selected, on: true });
    else clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, 3000);
  });
  function submit() {
    var text = $("reply").value.trim();
    if (!text) return;
    if (send({ type: "send", conversation_id: state.selected, text: text })) { $("reply").value = ""; if (typingTimer) { clearTimeout(typingTimer); typingTimer = null; } }
  }
  // Files to the visitor: each uploaded (the agent's token, or the dashboard session), then
  // sent as a message of its own.
  $("attach").addEventListener("click", function () { $("file").click(); });
  $("file").addEventListener("change", function () {
    var files = Array.prototype.slice.call($("file").files);
    $("file").value = "";
    files.forEach(function (file) { upload(state.selected, file); });
  });
  function upload(id, file) {
    var token = sessionStorage.getItem(TOKEN_KEY) || "";
    var url = "/agent/api/conversations/" + encodeURIComponent(id) + "/attachments?name=" + encodeURIComponent(file.name);
    $("upload-status").textContent = "Uploading " + file.name + "…";
    var failed = function (why) { $("upload-status").textContent = ""; showError(file.name + " was not sent: " + why); };
    fetch(url, { method: "POST", headers: token ? { Authorization: "Bearer " + token } : {}, body: file })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (!r.ok) return failed((body.error && body.error.message) || "the upload failed (" + r.status + ")");
          if (send({ type: "send", conversation_id: id, text: "", attachments: [body.id] })) $("upload-status").textContent = file.name + " sent.";
        });
      }, function () { failed("the relay cannot be reached"); });
  }
  $("composer").addEventListener("submit", function (e) { e.preventDefault(); submit(); });
  $("reply").addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); submit(); } });
  setInterval(function () { if (state.socket && state.socket.readyState === 1) send({ type: "ping" }); }, 25000);
  setInterval(renderLists, 15000);

  connect();
})();
