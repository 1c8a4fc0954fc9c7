/* Baton chat loader: <script src="https://RELAY/embed.js" data-site="demo" async></script>
 * Draws the launcher at once (in a shadow root), loads the wasm widget from RELAY/widget/ when
 * the page is idle or on the first click. Page API, usable at once (calls queue until loaded):
 * Baton.open() close() toggle() identify({email, name, user_id, user_hash}) setLanguage("de")
 * configure({primary: "#0a7", position: "left", title, avatar: "https://...", greeting,
 * scheme: "dark", sound: "on"}) (also as data-language, data-primary, data-sound, ... on the
 * tag) on(name, fn) -> unsub, off(name, fn) with names ready, open, close, connection, message,
 * phase, or "*"; fn gets the event detail (shapes: widget/src/bridge/detail.rs). user_hash is
 * the site's HMAC-SHA256 of user_id (else email), checked by the relay. window.BatonSettings =
 * {...} identifies, and a stub `window.Baton = {q: [["open"], ...]}` is replayed. CSP-safe: no
 * inline style, no eval. */
(function () {
  "use strict";
  var W = window;
  var D = document;

  function warn(e) {
    try {
      console.warn("[baton]", e);
    } catch (_) {}
  }

  try {
    if ((W.Baton && W.Baton.__baton) || D.getElementById("baton-widget-host")) return;

    var script = D.currentScript || D.querySelector('script[src*="embed.js"][data-site]');
    if (!script || !script.src) return warn("cannot find the embed.js <script> tag");
    var relay = new URL(script.src, D.baseURI).origin;
    var site = script.getAttribute("data-site") || "demo";
    var widget = relay + "/widget/";

    var bridge;
    try {
      bridge = new EventTarget();
    } catch (_) {
      bridge = D.createDocumentFragment();
    }
    var pending = []; // commands until the widget says "ready"
    var live = false;
    var ready = false;
    var loading = null;
    var wanted = false; // asked to load before <body> existed
    var listeners = {};
    var host, root, mount, launcher, side;
    var looks = ["primary", "position", "title", "avatar", "greeting", "scheme", "sound"];

    var send = function (cmd) {
      if (!live) return pending.push(cmd);
      try {
        bridge.dispatchEvent(new CustomEvent("baton:command", { detail: cmd }));
      } catch (e) {
        warn(e);
      }
    };

    var emit = function (name, detail) {
      var list = (listeners[name] || []).slice();
      for (var i = 0; i < list.length; i++) {
        try {
          list[i](detail);
        } catch (e) {
          warn(e);
        }
      }
    };

    bridge.addEventListener("baton:event", function (e) {
      var detail = e.detail || {};
      if (detail.type === "ready") live = ready = true;
      emit(detail.type, detail);
      emit("*", detail);
    });

    var load = function () {
      if (loading) return;
      if (!mount) return (wanted = true);
      W.__batonBoot = {
        root: root,
        mount: mount,
        site: site,
        relay: relay,
        widget: widget,
        bridge: bridge,
        pending: pending,
        launcher: launcher
      };
      loading = import(widget + "baton-widget.js")
        .then(function (m) {
          return m.default({ module_or_path: widget + "baton-widget_bg.wasm" });
        })
        .then(function () {
          live = true;
        })
        .catch(function (e) {
          loading = null; // the next click tries again
          warn(e);
        });
    };

    // The launcher's two icons; CSS shows one by the open state (the widget toggles the class).
    var svg = function (name, d) {
      var ns = "http://www.w3.org/2000/svg";
      var el = D.createElementNS(ns, "svg");
      var path = D.createElementNS(ns, "path");
      el.setAttribute("class", "baton-icon baton-icon--" + name);
      el.setAttribute("viewBox", "0 0 24 24");
      el.setAttribute("aria-hidden", "true");
      el.setAttribute("focusable", "false");
      path.setAttribute("d", d);
      el.appendChild(path);
      return el;
    };

    var build = function () {
      try {
        host = D.createElement("div");
        host.id = "baton-widget-host";
        if (side) host.setAttribute("data-baton-position", side);
        // Shown once the stylesheet is in: never an unstyled flash on the host page.
        host.setAttribute("hidden", "");
        root = host.attachShadow({ mode: "open" });

        var css = D.createElement("link");
        css.rel = "stylesheet";
        css.href = widget + "baton.css";
        css.onload = function () {
          host.removeAttribute("hidden");
        };
        css.onerror = function () {
          warn("cannot load " + css.href);
        };

        launcher = D.createElement("button");
        launcher.type = "button";
        launcher.className = "baton-launcher";
        launcher.setAttribute("data-testid", "launcher");
        launcher.setAttribute("data-baton-placeholder", "");
        launcher.setAttribute("aria-label", "Open chat");
        launcher.setAttribute("aria-haspopup", "dialog");
        launcher.setAttribute("aria-expanded", "false");
        launcher.appendChild(
          svg(
            "chat",
            "M12 3C6.5 3 2 6.9 2 11.7c0 2.4 1.1 4.6 3 6.2L4.2 21.4c-.1.4.3.7.7.5l4.1-1.9c1 .3 2 .4 3 .4 5.5 0 10-3.9 10-8.7S17.5 3 12 3z"
          )
        );
        launcher.appendChild(svg("close", "M7.4 8.6 12 13.2l4.6-4.6L18 10l-6 6-6-6z"));
        // The widget adopts this very button (it is never replaced); its clicks stay here.
        launcher.addEventListener("click", function () {
          if (live) return send({ cmd: "toggle" });
          send({ cmd: "open" });
          load();
        });

        mount = D.createElement("div");
        mount.className = "baton-mount";

        root.appendChild(css);
        root.appendChild(launcher);
        root.appendChild(mount);
        D.body.appendChild(host);

        // Load when the page is done and idle; a click loads sooner.
        var idle = function () {
          if (W.requestIdleCallback) W.requestIdleCallback(load, { timeout: 3000 });
          else setTimeout(load, 1500);
        };
        if (wanted) load();
        else if (D.readyState === "complete") idle();
        else W.addEventListener("load", idle);
      } catch (e) {
        warn(e);
      }
    };

    var api = {
      __baton: 1,
      open: function () {
        send({ cmd: "open" });
        load();
      },
      close: function () {
        send({ cmd: "close" });
      },
      toggle: function () {
        send({ cmd: "toggle" });
        load();
      },
      identify: function (who) {
        who = who || {};
        send({ cmd: "identify", email: who.email, name: who.name, user_id: who.user_id, user_hash: who.user_hash });
      },
      setLanguage: function (tag) {
        send({ cmd: "language", lang: String(tag) });
      },
      configure: function (o) {
        var cmd = { cmd: "configure" };
        for (var i = 0; i < looks.length; i++) if (o && o[looks[i]] != null) cmd[looks[i]] = String(o[looks[i]]);
        // The side at once, before the widget loads (the widget keeps it in step after).
        if (host && cmd.position) host.setAttribute("data-baton-position", cmd.position);
        else if (cmd.position) side = cmd.position;
        send(cmd);
        if (cmd.sound) send({ cmd: "sound", on: cmd.sound });
      },
      on: function (name, fn) {
        if (typeof fn !== "function") return function () {};
        (listeners[name] = listeners[name] || []).push(fn);
        if (name === "ready" && ready) {
          setTimeout(function () {
            try {
              fn({ type: "ready" });
            } catch (e) {
              warn(e);
            }
          }, 0);
        }
        return function () {
          api.off(name, fn);
        };
      },
      off: function (name, fn) {
        var list = listeners[name];
        if (!list) return;
        if (!fn) list.length = 0;
        else if (list.indexOf(fn) >= 0) list.splice(list.indexOf(fn), 1);
      }
    };

    var stub = W.Baton;
    W.Baton = api;

    var lang = script.getAttribute("data-language");
    if (lang) api.setLanguage(lang);
    var tagged = {};
    for (var k = 0; k < looks.length; k++) tagged[looks[k]] = script.getAttribute("data-" + looks[k]);
    api.configure(tagged);
    var pre = W.BatonSettings;
    if (pre && (pre.email || pre.name || pre.user_id)) {
      api.identify(pre);
    }
    var queue = (stub && stub.q) || [];
    for (var i = 0; i < queue.length; i++) {
      try {
        var call = Array.prototype.slice.call(queue[i]);
        if (typeof api[call[0]] === "function") api[call[0]].apply(api, call.slice(1));
      } catch (e) {
        warn(e);
      }
    }

    if (D.body) build();
    else D.addEventListener("DOMContentLoaded", build);
  } catch (e) {
    warn(e);
  }
})();
